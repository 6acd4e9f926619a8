/// A reject as one line of `rejects.csv` (`source,line,byte_offset,column,kind,raw,message`),
/// quoted as the CSV writer quotes (``CSVField``). Written straight from the reject's strings:
/// a file with hundreds of thousands of rejects is one pass of byte copies, not a batch of
/// seven string columns built only to be printed.
public enum RejectCSV {
    public static let header = "source,line,byte_offset,column,kind,raw,message\n"

    /// Appends `reject`'s line, newline included, to `out`.
    public static func append(_ reject: Reject, to out: inout [UInt8]) {
        text(reject.source, to: &out)
        out.append(UInt8(ascii: ","))
        integer(reject.line, to: &out)
        out.append(UInt8(ascii: ","))
        integer(reject.byteOffset, to: &out)
        out.append(UInt8(ascii: ","))
        if let column = reject.column { text(column, to: &out) }
        out.append(UInt8(ascii: ","))
        text(reject.kind.rawValue, to: &out)
        out.append(UInt8(ascii: ","))
        text(reject.raw, to: &out)
        out.append(UInt8(ascii: ","))
        text(reject.message, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    private static func text(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { CSVField.append($0, to: &out) }
    }

    private static func integer(_ value: Int, to out: inout [UInt8]) {
        DecimalMath.append(Int64(value), scale: 0, to: &out)
    }
}
