import ArbiterFuzzing
import CFuzzerDriver
import Foundation

/// The target this process drives, from ARBITER_FUZZ_TARGET (scripts/fuzz sets it).
let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["ARBITER_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("ARBITER_FUZZ_TARGET must be one of \(names) (got \"\(name)\")\n".utf8))
        exit(2)
    }
    return target
}()

// One input per call, as libFuzzer hands them over.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
})
