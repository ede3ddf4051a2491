import ArbiterApp
import ArgumentParser
import Foundation

/// The options shared by `serve` and `config check`: the file, and flags that override it.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file (default: $ARBITER_CONFIG if set).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Listen address, host:port (default 127.0.0.1:3000).", valueName: "host:port"))
    var listen: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory for Arbiter's files (default ./data).", valueName: "path"))
    var dataDir: String?

    @Option(name: .long, help: ArgumentHelp("sqlite (default) or a PostgreSQL database: postgres://user@host:port/db (default: $ARBITER_STORE).", valueName: "url"))
    var store: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: ArgumentHelp("logfmt or json.", valueName: "format"))
    var logFormat: String?

    @Option(name: .customLong("shutdown-grace-period"), help: ArgumentHelp("How long a graceful shutdown may take (default 30s).", valueName: "duration"))
    var shutdownGracePeriod: String?

    /// Reads the configuration, or prints the located error and exits 1.
    func load() throws -> LoadedConfiguration {
        var flags: [String: String] = [:]
        if let listen { flags["--listen"] = listen }
        if let dataDir { flags["--data-dir"] = dataDir }
        if let store { flags["--store"] = store }
        if let logLevel { flags["--log-level"] = logLevel }
        if let logFormat { flags["--log-format"] = logFormat }
        if let shutdownGracePeriod { flags["--shutdown-grace-period"] = shutdownGracePeriod }
        let environment = ProcessInfo.processInfo.environment
        let file = self.config ?? environment["ARBITER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            return try ConfigurationLoader.load(file: file, environment: environment, flags: flags)
        } catch {
            CommandLineError.print("invalid configuration: \(error)")
            throw ExitCode.failure
        }
    }
}
