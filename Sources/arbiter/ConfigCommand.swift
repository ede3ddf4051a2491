import ArbiterApp
import ArgumentParser

/// `arbiter config`: configuration tools.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check and print the configuration.",
        subcommands: [ConfigCheckCommand.self]
    )
}

/// `arbiter config check`: validates the configuration and prints the effective result.
struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and print the effective values with where each came from."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let loaded = try self.options.load()
        print(ConfigurationPrinter.render(loaded), terminator: "")
    }
}
