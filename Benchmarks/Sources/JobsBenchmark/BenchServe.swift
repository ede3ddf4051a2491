import ArbiterApp
import ArbiterMetrics
import Logging

/// The daemon under test, configured as `arbiter serve` would be.
enum BenchServe {
    /// - Parameter auditing: `false` for the bare run of `--consent`.
    static func run(config: String, listen: String, dataDirectory: String, auditing: Bool) async throws {
        let loaded = try ConfigurationLoader.load(
            file: config, environment: [:], flags: ["--listen": listen, "--data-dir": dataDirectory])
        let configuration = loaded.configuration
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, format: configuration.logFormat, level: configuration.logLevel) }
        let registry = MetricRegistry()
        try await ArbiterDaemon(loaded: loaded, registry: registry, logger: Logger(label: "arbiter"), auditing: auditing).run()
    }
}
