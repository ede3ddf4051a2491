import ArbiterPromQL
import ArgumentParser
import Foundation

/// `arbiter promql test FILE…`: runs PromQL test scripts in Prometheus's format.
struct PromQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promql",
        abstract: "Work with PromQL.",
        subcommands: [Test.self]
    )

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run PromQL test scripts (load, clear, eval instant at, eval_fail, eval_ordered); exit 1 if any case fails.",
            discussion: "Prints passed/failed per file, each failure with its line, and a total.")

        @Argument(help: "Test script files (a directory runs every *.test file in it).")
        var files: [String]

        @Flag(name: .shortAndLong, help: "Print only the per-file counts, not each failure.")
        var quiet = false

        func run() throws {
            var (cases, failed, broken) = (0, 0, 0)
            for path in try Self.expand(self.files) {
                let outcome: TestScript.Outcome
                do {
                    let text = try String(contentsOfFile: path, encoding: .utf8)
                    outcome = try TestScript(text).run()
                } catch let error as TestScript.ParseError {
                    CommandLineError.print("\(path):\(error.line): \(error.message)")
                    broken += 1
                    continue
                } catch {
                    CommandLineError.print("\(path): \(error.localizedDescription)")
                    broken += 1
                    continue
                }
                cases += outcome.cases
                failed += outcome.failures.count
                print("\(path): \(outcome.passed) passed, \(outcome.failures.count) failed")
                if !self.quiet {
                    for failure in outcome.failures { print("  \(path):\(failure.line): \(failure.query): \(failure.message)") }
                }
            }
            print("total: \(cases - failed) of \(cases) eval cases passed, \(failed) failed" + (broken > 0 ? ", \(broken) files unreadable" : ""))
            if failed > 0 || broken > 0 { throw ExitCode.failure }
        }

        static func expand(_ paths: [String]) throws -> [String] {
            var out: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".test") }.sorted()
                    out += names.map { (path as NSString).appendingPathComponent($0) }
                } else {
                    out.append(path)
                }
            }
            return out
        }
    }
}
