import ArbiterFuzzing
import Foundation
import Testing

/// Every input the fuzzers found a crash, hang or blow-up with, and the seed inputs they start from,
/// replayed through the same targets (`Tests/FuzzRegressions/TARGET/`, `Fuzz/corpus/TARGET/`).
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func inputs(under folder: String, for target: FuzzTarget) -> [URL] {
        let directory = Self.root.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func replaysFindingsAndSeeds(_ target: FuzzTarget) throws {
        let files = Self.inputs(under: "Tests/FuzzRegressions", for: target) + Self.inputs(under: "Fuzz/corpus", for: target)
        #expect(!files.isEmpty, "no seed or regression input for \(target.rawValue)")
        let clock = ContinuousClock()
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: file))
            let elapsed = clock.measure { target.run(bytes) }
            // Each input is at most a few KiB: linear work takes milliseconds, seconds on a loaded machine.
            #expect(elapsed < .seconds(10), "\(target.rawValue)/\(file.lastPathComponent) took \(elapsed)")
        }
    }
}
