import CLibFuzzer

/// The test function libFuzzer calls with each input (`LLVMFuzzerTestOneInput`'s signature).
public typealias FuzzTestFunction = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer on `test` with the process's arguments (libFuzzer flags and corpus folders).
///
/// Each target calls this from a `@_cdecl("<Target>_main")` function: SwiftPM links an executable's `main` to
/// `<Target>_main`, which would otherwise be undefined under `-parse-as-library`.
public func runFuzzer(
    argc: CInt,
    argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    test: FuzzTestFunction
) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, test)
}
