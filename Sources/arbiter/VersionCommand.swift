import ArbiterCore
import ArgumentParser

/// `arbiter version`
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("arbiter \(ArbiterVersion.version) (revision \(ArbiterVersion.revision), swift \(ArbiterVersion.swiftVersion))")
    }
}
