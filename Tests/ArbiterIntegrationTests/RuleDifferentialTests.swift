import ArbiterRules
import ArbiterTesting
import Foundation
import Testing

/// Arbiter's rule checker and rule unit-test runner against promtool 2.42's, file by file: the two
/// must give the same verdict on every file (cases named `*-fails` fail on purpose under both).
@Suite struct RuleDifferentialTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let repository = tests.deletingLastPathComponent()

    static var unitTestFiles: [String] {
        let root = tests.appendingPathComponent("RuleDifferential")
        let cases = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let differential = cases.sorted().map { root.appendingPathComponent($0).appendingPathComponent("test.yml").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        // The shipped rules' own tests run under both too.
        let shipped = repository.appendingPathComponent("alerts/tests")
        let shippedTests = ((try? FileManager.default.contentsOfDirectory(atPath: shipped.path)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()
        return differential + shippedTests.map { shipped.appendingPathComponent($0).path }
    }

    static var ruleFiles: [String] {
        var files: [String] = []
        for folder in [tests.appendingPathComponent("RuleCheck"), repository.appendingPathComponent("alerts")] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            files += names.filter { $0.hasSuffix(".yml") }.sorted().map { folder.appendingPathComponent($0).path }
        }
        return files
    }

    @Test("at least 30 unit-test files, each with the same verdict as promtool test rules", .enabled(if: ExternalTool.promtool.shouldRun))
    func unitTestsAgree() async throws {
        let files = Self.unitTestFiles
        #expect(files.count >= 30)
        var summary: [String] = []
        for file in files {
            let promtool = try await Promtool.run(["test", "rules", file])
            let arbiter = RuleUnitTest.run(file)
            let url = URL(fileURLWithPath: file)
            let name = url.lastPathComponent == "test.yml" ? url.deletingLastPathComponent().lastPathComponent : "alerts/tests/" + url.lastPathComponent
            let shouldFail = name.hasSuffix("-fails")
            summary.append("\(name): promtool \(promtool.status == 0 ? "pass" : "fail"), arbiter \(arbiter.passed ? "pass" : "fail")")
            #expect((promtool.status == 0) == arbiter.passed, "\(name): promtool said\n\(promtool.stdout)\(promtool.stderr)\narbiter said\n\(arbiter.failures.joined(separator: "\n"))")
            #expect(arbiter.passed != shouldFail, "\(name): \(arbiter.failures.joined(separator: "\n"))")
        }
        print(summary.joined(separator: "\n"))
    }

    @Test("rule files: the same verdict as promtool check rules, valid and malformed alike", .enabled(if: ExternalTool.promtool.shouldRun))
    func checksAgree() async throws {
        let files = Self.ruleFiles
        #expect(files.count >= 15)
        for file in files {
            let promtool = try await Promtool.run(["check", "rules", file])
            var arbiterPassed = true
            var problems = ""
            do {
                _ = try RuleFile.load(file)
            } catch {
                arbiterPassed = false
                problems = error.description
                // Every problem names the file and a line.
                #expect(error.errors.allSatisfy { $0.path == file && $0.line > 0 }, "\(problems)")
            }
            #expect((promtool.status == 0) == arbiterPassed, "\(file): promtool said\n\(promtool.stdout)\(promtool.stderr)\narbiter said \(problems)")
        }
    }
}
