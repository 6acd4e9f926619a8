public import SluiceCore

/// The walk over a text column that both COPY encoders make: each row's bytes, or nil for a
/// null, handed to `body` in order; it stops at the first row `body` refuses (a NUL byte,
/// which PostgreSQL text cannot store) and returns it.
enum CopyStrings {
    @inline(__always)
    static func firstRefused(_ storage: StringStorage, _ column: Column, rows: Int,
                             _ body: (UnsafeBufferPointer<UInt8>?) -> Bool) -> Int? {
        let hasNulls = column.validity != nil
        return storage.bytes.withUnsafeBufferPointer { bytes -> Int? in
            storage.offsets.withUnsafeBufferPointer { offsets -> Int? in
                for row in 0..<rows {
                    let text = hasNulls && column.isNull(row)
                        ? nil : UnsafeBufferPointer(rebasing: bytes[Int(offsets[row])..<Int(offsets[row + 1])])
                    if !body(text) { return row }
                }
                return nil
            }
        }
    }
}
