import CFuzzDriver
@_spi(Fuzzing) import SluiceIO

/// libFuzzer's entry point: reads the input as CSV under several dialects and bounds
/// (``FuzzEntry/csv(_:)``), which reports where the tokenizer, the record stepper and the
/// split synchronizer disagree; this harness traps on it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // A broken invariant is this harness's crash: what libFuzzer detects and keeps the input of.
    if let violation = FuzzEntry.csv(UnsafeBufferPointer(start: data, count: size)) { fatalError("\(violation)") }
    return 0
}

/// The program's entry point. SwiftPM links an executable's `main` to `<module>_main`, a
/// symbol `-parse-as-library` (which libFuzzer needs, so Swift emits no `main` of its own)
/// leaves undefined; defining it here and starting libFuzzer's driver from it builds with
/// plain `swift build`.
@_cdecl("FuzzCSV_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
