/// One CSV field's bytes, as RFC 4180 writes them: quoted, with inner quotes doubled, when
/// the value holds the delimiter, a quote or a line break; as they are otherwise. Shared by
/// the CSV writer and by the raw line a reject keeps, so both quote alike.
public enum CSVField {
    /// Appends `bytes` as one field to `out`, quoted when they need it.
    @inlinable
    public static func append<C: Collection>(_ bytes: C, delimiter: UInt8 = UInt8(ascii: ","), to out: inout [UInt8]) where C.Element == UInt8 {
        let quote = UInt8(ascii: "\"")
        let needsQuotes = bytes.contains { $0 == delimiter || $0 == quote || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needsQuotes else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(quote)
        for byte in bytes {
            if byte == quote { out.append(byte) }
            out.append(byte)
        }
        out.append(quote)
    }
}
