import ArbiterRules
import Foundation
import Testing

/// The rules compiled into the binary are exactly the files in `alerts/`, and all of them load.
@Suite struct BuiltinRulesTests {
    static let alerts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("alerts")

    @Test func embeddedRulesMatchTheFilesAndLoad() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.alerts.path).filter { $0.hasSuffix(".yml") }.sorted()
        #expect(files.map { "alerts/\($0)" } == BuiltinRules.files.map(\.name), "run scripts/embed-alerts")
        for (name, text) in BuiltinRules.files {
            let onDisk = try String(contentsOf: Self.alerts.appendingPathComponent(String(name.dropFirst("alerts/".count))), encoding: .utf8)
            #expect(onDisk.trimmingCharacters(in: .newlines) == text.trimmingCharacters(in: .newlines), "run scripts/embed-alerts")
            let file = try RuleFile.parse(text, path: name)
            #expect(file.ruleCount > 0)
        }
    }
}
