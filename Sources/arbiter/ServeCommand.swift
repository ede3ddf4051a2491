import ArbiterApp
import ArbiterMetrics
import ArgumentParser
import Logging
import Metrics

/// `arbiter serve`: runs the daemon until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Arbiter daemon.",
        discussion: "Configuration comes from the YAML file, then ARBITER_* environment variables, then flags."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let loaded = try self.options.load()
        let configuration = loaded.configuration
        LoggingSystem.bootstrap { label in
            StructuredLogHandler(label: label, format: configuration.logFormat, level: configuration.logLevel)
        }
        let logger = Logger(label: "arbiter")
        let registry: MetricRegistry
        do {
            registry = MetricRegistry(
                options: .init(seriesLimit: configuration.metricsSeriesLimit, defaultBuckets: try HistogramBuckets(configuration.metricsHistogramBuckets)),
                logger: Logger(label: "arbiter.metrics")
            )
            MetricsSystem.bootstrap(ArbiterMetricsFactory(registry: registry))
            _ = try ProcessCollector(registry: registry)
            try BuildInfo.register(in: registry)
        } catch {
            CommandLineError.print("cannot set up metrics: \(error)")
            throw ExitCode.failure
        }
        do {
            try await ArbiterDaemon(loaded: loaded, registry: registry, logger: logger).run()
        } catch {
            logger.critical("arbiter failed to start", metadata: ["error": "\(error)"])
            CommandLineError.print("\(error)")
            throw ExitCode.failure
        }
    }
}
