import ArbiterRules
import ArgumentParser

/// `arbiter rules check|test`: Prometheus rule files and their unit tests, with promtool's verdicts.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check rule files and run rule unit tests.",
        subcommands: [Check.self, Test.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check Prometheus rule files (as `promtool check rules` does); exit 1 if any is invalid.")

        @Argument(help: "Rule files.")
        var files: [String]

        func run() throws {
            var failed = false
            for path in self.files {
                print("Checking \(path)")
                do {
                    let file = try RuleFile.load(path)
                    print("  SUCCESS: \(file.ruleCount) rules found\n")
                } catch {
                    failed = true
                    print("  FAILED:")
                    for problem in error.errors { print(problem.description) }
                    print()
                }
            }
            if failed { throw ExitCode.failure }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run rule unit tests in promtool's format (`promtool test rules`); exit 1 if any fails.")

        @Argument(help: "Unit test files.")
        var files: [String]

        func run() throws {
            var failed = false
            for path in self.files {
                print("Unit Testing:  \(path)")
                let outcome = RuleUnitTest.run(path)
                if outcome.passed {
                    print("  SUCCESS\n")
                } else {
                    failed = true
                    print("  FAILED:")
                    for failure in outcome.failures { print(failure) }
                    print()
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}
