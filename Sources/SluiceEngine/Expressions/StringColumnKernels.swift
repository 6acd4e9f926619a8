import SluiceCore

/// Whole-column forms of the string functions that clean input (`trim`, `nullIfEmpty`, ASCII
/// `lower`/`upper`): one pass over the column's bytes and offsets instead of one call and one
/// builder append per row.
///
/// Cleaning usually finds nothing to clean, so each kernel first checks, and hands the input
/// column back untouched when no value would change: a clean column costs a scan, not a copy.
/// `nullIfEmpty` never copies bytes (only the validity changes), and an ASCII case change
/// keeps the offsets and maps the bytes. Non-ASCII text goes back to the per-row path
/// (Unicode case mapping may change lengths).
enum StringColumnKernels {
    /// The column with empty values made null; the bytes and offsets are shared.
    static func nullIfEmpty(_ input: Column, _ storage: StringStorage, rows: Int) -> Column {
        var validity: ValidityBitmap?
        storage.offsets.withUnsafeBufferPointer { offsets in
            for row in 0..<rows where offsets[row + 1] == offsets[row] {
                if validity == nil { validity = input.validity ?? ValidityBitmap(count: rows, allValid: true) }
                validity?.set(row, valid: false)
            }
        }
        guard let validity else { return input }
        return Column(type: input.type, storage: input.storage, validity: validity)
    }

    /// The column with leading and trailing spaces, tabs and line breaks removed from each
    /// value (nulls stay null).
    static func trim(_ input: Column, _ storage: StringStorage, rows: Int) -> Column {
        let needed = storage.offsets.withUnsafeBufferPointer { offsets in
            storage.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<rows {
                    let start = Int(offsets[row]), end = Int(offsets[row + 1])
                    if end > start, StringKernels.isSpace(bytes[start]) || StringKernels.isSpace(bytes[end - 1]) { return true }
                }
                return false
            }
        }
        guard needed else { return input }
        var out = StringStorage()
        out.offsets.reserveCapacity(rows + 1)
        out.bytes.reserveCapacity(storage.bytes.count)
        storage.offsets.withUnsafeBufferPointer { offsets in
            storage.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<rows {
                    var start = Int(offsets[row]), end = Int(offsets[row + 1])
                    while start < end, StringKernels.isSpace(bytes[start]) { start += 1 }
                    while end > start, StringKernels.isSpace(bytes[end - 1]) { end -= 1 }
                    out.append(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                }
            }
        }
        return Column(type: input.type, storage: .string(out), validity: input.validity)
    }

    /// The column lower- or upper-cased when all its bytes are ASCII (same offsets, mapped
    /// bytes; the input itself when nothing changes); nil when some value is not ASCII.
    static func changeCaseASCII(_ input: Column, _ storage: StringStorage, rows: Int, upper: Bool) -> Column? {
        let end = Int(storage.offsets[rows])
        let from: UInt8 = upper ? 97 : 65, to: UInt8 = upper ? 122 : 90
        var ascii = true, changes = false
        storage.bytes.withUnsafeBufferPointer { bytes in
            var high: UInt8 = 0, hits: UInt8 = 0
            for index in 0..<end {
                let byte = bytes[index]
                high |= byte
                hits |= byte &- from <= to - from ? 1 : 0
            }
            ascii = high < 0x80
            changes = hits != 0
        }
        guard ascii else { return nil }
        guard changes else { return input }
        var bytes = Array(storage.bytes[0..<end])
        bytes.withUnsafeMutableBufferPointer { bytes in
            for index in bytes.indices where bytes[index] >= from && bytes[index] <= to {
                bytes[index] = upper ? bytes[index] - 32 : bytes[index] + 32
            }
        }
        return Column(type: input.type, storage: .string(StringStorage(offsets: Array(storage.offsets[0...rows]), bytes: bytes)),
                      validity: input.validity)
    }
}
