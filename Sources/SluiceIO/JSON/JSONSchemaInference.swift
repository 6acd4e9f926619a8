public import SluiceCore

/// Infers a flattened schema from the first objects of a JSON document: keys in order of
/// first appearance (nested objects as `parent.child`), each typed by every value seen —
/// integers → int64, any fraction → float64, ISO dates / timestamps → date / timestamp,
/// booleans → bool, arrays and mixed values → string (JSON text for arrays). Byte order
/// marks are skipped and concatenated arrays sampled in turn, as ``JSONRecordDecoder`` reads them.
public enum JSONSchemaInference {
    public static func infer(_ document: UnsafeBufferPointer<UInt8>, sampleObjects: Int = 1_000) -> Schema {
        var order: [String] = []
        var kinds: [String: Kinds] = [:]
        var scanner = JSONScanner(document)
        var inArray = false
        var objects = 0
        var scratch: [UInt8] = []
        func visit(_ prefix: String) throws(JSONSyntaxError) {
            guard scanner.consume(UInt8(ascii: "{")) else { throw JSONSyntaxError(position: scanner.position, message: "expected an object") }
            if scanner.consume(UInt8(ascii: "}")) { return }
            while true {
                scanner.skipWhitespace()
                let token = try scanner.string()
                try scanner.decode(token, into: &scratch)
                let key = prefix + String(decoding: scratch, as: UTF8.self)
                guard scanner.consume(UInt8(ascii: ":")) else { throw JSONSyntaxError(position: scanner.position, message: "expected ':'") }
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: "{") {
                    try visit(key + ".")
                } else {
                    if kinds[key] == nil { order.append(key) }
                    var kind = kinds[key] ?? Kinds()
                    let start = scanner.position
                    let range = try scanner.skipValue()
                    kind.observe(UnsafeBufferPointer(rebasing: document[range]), first: document[start])
                    kinds[key] = kind
                }
                if scanner.consume(UInt8(ascii: ",")) { continue }
                if scanner.consume(UInt8(ascii: "}")) { return }
                throw JSONSyntaxError(position: scanner.position, message: "expected ',' or '}'")
            }
        }
        while objects < sampleObjects {
            scanner.skipWhitespaceAndByteOrderMarks()
            guard let next = scanner.peek() else { break }
            if next == UInt8(ascii: "["), !inArray {
                scanner.position += 1
                inArray = !scanner.consume(UInt8(ascii: "]"))
                continue
            }
            guard next == UInt8(ascii: "{") else { break }
            do { try visit("") } catch { break }
            objects += 1
            if inArray {
                if scanner.consume(UInt8(ascii: ",")) { continue }
                guard scanner.consume(UInt8(ascii: "]")) else { break }
                inArray = false
            }
        }
        return Schema(order.map { Field($0, kinds[$0]?.type ?? .string) })
    }

    struct Kinds {
        var integer = false, fraction = false, string = false, boolean = false, other = false
        var allDates = true, allTimestamps = true

        mutating func observe(_ value: UnsafeBufferPointer<UInt8>, first: UInt8) {
            switch first {
            case UInt8(ascii: "\""):
                string = true
                let inner = UnsafeBufferPointer(rebasing: value[1..<max(1, value.count - 1)])
                if allDates, DateEncoding.parseISODate(inner) == nil { allDates = false }
                if allTimestamps, DateEncoding.parseISOTimestamp(inner) == nil { allTimestamps = false }
            case UInt8(ascii: "t"), UInt8(ascii: "f"): boolean = true
            case UInt8(ascii: "n"): break
            case UInt8(ascii: "["), UInt8(ascii: "{"): other = true
            default:
                if value.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
                    fraction = true
                } else {
                    integer = true
                }
            }
        }

        var type: DataType {
            let numeric = integer || fraction
            if other || (string && (numeric || boolean)) || (boolean && numeric) { return .string }
            if string { return allDates ? .date : (allTimestamps ? .timestamp : .string) }
            if boolean { return .bool }
            if fraction { return .float64 }
            if integer { return .int64 }
            return .string
        }
    }
}
