@testable import ArbiterApp
import ArbiterJobs
import ArbiterTesting
import Logging
import Testing

/// Every configuration mistake names where it is: file, line and key, or the variable, or the flag.
@Suite struct ConfigurationLoaderTests {
    func load(_ yaml: String?, environment: [String: String] = [:], flags: [String: String] = [:]) throws -> LoadedConfiguration {
        let directory = try TemporaryDirectory(prefix: "config")
        defer { directory.remove() }
        let file = try yaml.map { try directory.write("arbiter.yaml", $0) }
        return try ConfigurationLoader.load(file: file, environment: environment, flags: flags)
    }

    func failure(_ yaml: String?, environment: [String: String] = [:], flags: [String: String] = [:]) -> String {
        do {
            _ = try self.load(yaml, environment: environment, flags: flags)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsWorkWithoutAFile() throws {
        let loaded = try self.load(nil)
        #expect(loaded.configuration == ArbiterConfiguration())
        #expect(loaded.configuration.listen.description == "127.0.0.1:3000")
        #expect(loaded.configuration.dataDirectory == "./data")
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let yaml = """
            listen: 0.0.0.0:4000
            data_dir: /var/lib/arbiter
            log:
              level: debug
              format: json
            shutdown:
              grace_period: 1m30s
            metrics:
              series_limit: 500
              histogram_buckets: [0.1, 1, 10]
            """
        let loaded = try self.load(
            yaml, environment: ["ARBITER_LOG_LEVEL": "warning", "ARBITER_DATA_DIR": "/srv/arbiter"], flags: ["--data-dir": "/tmp/x"])
        let configuration = loaded.configuration
        #expect(configuration.listen == ListenAddress(host: "0.0.0.0", port: 4000))
        #expect(configuration.logLevel == .warning)
        #expect(configuration.logFormat == .json)
        #expect(configuration.dataDirectory == "/tmp/x")
        #expect(configuration.shutdownGracePeriod == .seconds(90))
        #expect(configuration.metricsSeriesLimit == 500)
        #expect(configuration.metricsHistogramBuckets == [0.1, 1, 10])
        #expect(loaded.sources["log.level"] == "env ARBITER_LOG_LEVEL")
        #expect(loaded.sources["data_dir"] == "flag --data-dir")
        #expect(loaded.sources["listen"]?.hasSuffix("arbiter.yaml:1") == true)
    }

    @Test func unknownKeyNamesFileLineAndKey() {
        let message = self.failure("listen: 127.0.0.1:3000\nlog:\n  levle: info\n")
        #expect(message.contains("arbiter.yaml:3:3: log.levle: unknown key (did you mean level?)"), "\(message)")
        let topLevel = self.failure("lisen: 1.2.3.4:5\n")
        #expect(topLevel.contains("arbiter.yaml:1:1: lisen: unknown key (did you mean listen?)"), "\(topLevel)")
        let far = self.failure("bogus_section: 1\n")
        #expect(far.contains("valid keys here: listen, data_dir, store, store_pool_size, log, shutdown, metrics, workers, limits, job_types"), "\(far)")
    }

    @Test func wrongTypesAndBadValuesNameTheKey() {
        #expect(self.failure("log: info\n").contains("arbiter.yaml:1:6: log: expected a mapping with keys level, format, got the value \"info\""))
        #expect(self.failure("listen: [a, b]\n").contains("arbiter.yaml:1:9: listen: expected a single value, got a list"))
        #expect(self.failure("metrics:\n  series_limit: lots\n").contains("arbiter.yaml:2:17: metrics.series_limit: expected a whole number"))
        #expect(self.failure("log:\n  level: verbose\n").contains("arbiter.yaml:2:10: log.level: expected one of trace"))
        #expect(self.failure("listen: localhost\n").contains("arbiter.yaml:1:9: listen: expected host:port"))
        #expect(self.failure("shutdown:\n  grace_period: soon\n").contains("shutdown.grace_period: expected a duration"))
        #expect(self.failure("metrics:\n  histogram_buckets: [1, 0.5]\n").contains("must increase strictly"))
        #expect(self.failure("metrics:\n  histogram_buckets: 1\n").contains("expected a list"))
        let duplicate = self.failure("log:\n  level: info\n  level: debug\n")
        #expect(duplicate.contains("arbiter.yaml:2:3: not valid YAML: duplicate key level"), "\(duplicate)")
    }

    @Test func brokenYAMLAndUnreadableFilesAreReported() throws {
        let broken = self.failure("listen: 127.0.0.1:3000\nlog: [unclosed\n")
        #expect(broken.contains("arbiter.yaml:3:1: not valid YAML:"), "\(broken)")
        do {
            _ = try ConfigurationLoader.load(file: "/nonexistent/arbiter.yaml", environment: [:], flags: [:])
            Issue.record("no error")
        } catch {
            #expect("\(error)" == "/nonexistent/arbiter.yaml: cannot read the configuration file: no such file")
        }
    }

    @Test func nestingPastTheYAMLBoundNamesTheFileAndLine() {
        // libyaml refuses nesting past 1,000 levels; ten times that is an error, not a crash.
        let deep = self.failure("job_types: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n")
        #expect(deep.contains("arbiter.yaml:1:"), "\(deep.prefix(300))")
    }

    @Test func countsAndDurationsPastTheirRangeAreRefused() {
        for yaml in [
            "shutdown:\n  delay: 9223372036854775807ms\n", "job_types:\n  x:\n    timeout: 300y\n", "job_types:\n  x:\n    max_attempts: 99999999999999999999999\n",
            "limits:\n  max_batch_jobs: 99999999999999999999999\n", "job_types:\n  x:\n    rate: 99999999999999999999999/s\n",
        ] {
            let failure = self.failure(yaml)
            #expect(failure.contains("arbiter.yaml:2:") || failure.contains("arbiter.yaml:3:"), "\(yaml): \(failure)")
        }
    }

    @Test func badEnvironmentAndFlagsNameTheirSource() {
        #expect(self.failure(nil, environment: ["ARBITER_LOG_FORMAT": "xml"]) == "environment variable ARBITER_LOG_FORMAT: expected logfmt or json (got \"xml\")")
        #expect(self.failure(nil, flags: ["--listen": "nowhere"]).hasPrefix("flag --listen: expected host:port"))
    }

    @Test func unknownArbiterVariablesWarnButDoNotFail() throws {
        let loaded = try self.load(nil, environment: ["ARBITER_LISTN": "x", "ARBITER_TOKEN": "secret", "HOME": "/root"])
        #expect(loaded.warnings == ["environment variable ARBITER_LISTN is not a configuration key and is ignored"])
    }

    @Test func theEffectiveConfigurationPrintsEachSectionOnce() throws {
        let loaded = try ConfigurationLoader.load(file: nil, environment: ["ARBITER_AUTH_JWT_ISSUER": "idp"], flags: [:])
        let topLevel = ConfigurationPrinter.render(loaded).split(separator: "\n")
            .filter { !$0.hasPrefix(" ") && !$0.hasPrefix("#") }
            .map { $0.split(separator: ":")[0] }
        #expect(topLevel.count == Set(topLevel).count, "a section printed twice: \(topLevel)")
    }

    @Test func emptyFileMeansDefaults() throws {
        #expect(try self.load("").configuration == ArbiterConfiguration())
        #expect(try self.load("# just a comment\n").configuration == ArbiterConfiguration())
    }

    @Test func checkPrintsEffectiveValuesWithSources() throws {
        let loaded = try self.load("log:\n  level: debug\n", flags: ["--listen": "127.0.0.1:9000"])
        let printed = ConfigurationPrinter.render(loaded)
        #expect(printed.contains("listen: 127.0.0.1:9000"))
        #expect(printed.contains("# flag --listen"))
        #expect(printed.contains("  level: debug"))
        #expect(printed.contains("arbiter.yaml:2"))
        #expect(printed.contains("  grace_period: 30s"))
    }
}

/// `job_types.<name>` sections: per-type retry, limits and consent, with the same located errors.
@Suite struct JobTypeConfigurationTests {
    func load(_ yaml: String) throws -> LoadedConfiguration {
        let directory = try TemporaryDirectory(prefix: "config")
        defer { directory.remove() }
        return try ConfigurationLoader.load(file: try directory.write("arbiter.yaml", yaml), environment: [:], flags: [:])
    }

    func failure(_ yaml: String) -> String {
        do {
            _ = try self.load(yaml)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func policiesAreReadPerType() throws {
        let yaml = """
            job_types:
              email:
                max_attempts: 5
                backoff: { initial: 1s, max: 5m }
                timeout: 30s
                concurrency: 10
                rate: 100/s
              fetch_odds:
                requires_consent: odds.read
              noop:
            """
        let types = try self.load(yaml).configuration.jobTypes
        #expect(types["email"]?.retry == RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), maxBackoff: .seconds(300), timeout: .seconds(30)))
        #expect(types["email"]?.concurrency == 10)
        #expect(types["email"]?.rateLimit == RateLimit(count: 100, per: .seconds(1)))
        #expect(types["fetch_odds"]?.requiresConsent == "odds.read")
        #expect(types["fetch_odds"]?.retry == .default)
        #expect(types["noop"] == JobTypePolicy())
    }

    @Test func mistakesNameTheTypeAndLine() {
        #expect(self.failure("job_types:\n  email:\n    max_atempts: 5\n").contains("arbiter.yaml:3:5: job_types.email.max_atempts: unknown key (did you mean max_attempts?)"))
        #expect(self.failure("job_types:\n  email:\n    rate: fast\n").contains("arbiter.yaml:3:11: job_types.email.rate: expected a rate such as 10/s"))
        #expect(self.failure("job_types:\n  \"bad name\":\n    timeout: 1s\n").contains("job_types.bad name: job type names hold letters"))
        #expect(self.failure("job_types:\n  email:\n    backoff: { initial: 10m, max: 1m }\n").contains("job_types.email.backoff: initial (10m) is longer than max (1m)"))
        #expect(self.failure("job_types: [email]\n").contains("job_types: expected a mapping with keys <job type name>"))
    }

    @Test func checkPrintsEachType() throws {
        let printed = ConfigurationPrinter.render(try self.load("job_types:\n  email:\n    concurrency: 2\n"))
        #expect(printed.contains("job_types:\n  email:\n    max_attempts: 3"))
        #expect(printed.contains("    backoff:\n      initial: 1s"))
        #expect(printed.contains("    concurrency: 2"))
        #expect(printed.contains("arbiter.yaml:3"))
    }
}
