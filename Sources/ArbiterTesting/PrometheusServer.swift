import Foundation

/// A real Prometheus (the Debian package, 2.42 here) on a loopback port with its own TSDB directory.
public final class PrometheusServer: Sendable {
    /// The running process.
    public let process: ChildProcess
    /// Scratch directory holding the config, the TSDB and the logs.
    public let directory: TemporaryDirectory
    /// `http://127.0.0.1:PORT`
    public let baseURL: String
    public let port: Int

    private init(process: ChildProcess, directory: TemporaryDirectory, port: Int) {
        self.process = process
        self.directory = directory
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
    }

    /// Starts Prometheus and waits for `/-/ready`.
    /// - Parameters:
    ///   - scrapeConfigs: YAML list items for `scrape_configs:`, indented by two spaces.
    ///   - scrapeInterval: The global scrape interval.
    ///   - arguments: Extra command-line flags.
    /// - Returns: The running server.
    /// - Throws: ``TestingError`` when the binary is missing or it does not become ready.
    ///   - ruleFiles: Rule files Prometheus evaluates (at the scrape interval).
    public static func start(
        scrapeConfigs: String, scrapeInterval: String = "1s", ruleFiles: [String] = [], alertmanagers: [String] = [], arguments: [String] = [],
        restarting previous: PrometheusServer? = nil
    ) async throws -> PrometheusServer {
        let config = """
            global:
              scrape_interval: \(scrapeInterval)
              evaluation_interval: \(scrapeInterval)
            rule_files: [\(ruleFiles.map { "\"\($0)\"" }.joined(separator: ", "))]
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: [\(alertmanagers.map { "\"\($0)\"" }.joined(separator: ", "))]
            scrape_configs:
            \(scrapeConfigs)
            """
        return try await self.start(config: config, arguments: arguments, restarting: previous)
    }

    /// Starts Prometheus on a configuration of the caller's, with its remote-write receiver on, and
    /// waits for `/-/ready`.
    /// - Parameters:
    ///   - config: The whole `prometheus.yml`.
    ///   - port: The loopback port to listen on (a free one if not given).
    public static func start(
        config: String, port given: Int? = nil, arguments: [String] = [], restarting previous: PrometheusServer? = nil
    ) async throws -> PrometheusServer {
        let binary = try ExternalTool.prometheus.require()
        let directory = try previous?.directory ?? TemporaryDirectory(prefix: "prometheus")
        let configPath = try directory.write("prometheus.yml", config)
        let port = try given ?? previous?.port ?? FreePort.next()
        let process = try ChildProcess(
            executable: binary,
            arguments: [
                "--config.file=\(configPath)", "--storage.tsdb.path=\(directory.file("tsdb"))",
                "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver",
            ] + arguments,
            directory: directory.path, name: "prometheus"
        )
        let server = PrometheusServer(process: process, directory: directory, port: port)
        do {
            try await HTTPProbe.waitUntilReady("\(server.baseURL)/-/ready", process: process, name: "prometheus")
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// One element of an instant vector.
    public struct VectorSample: Sendable {
        /// The series' labels, `__name__` included.
        public let labels: [String: String]
        /// The value as Prometheus printed it.
        public let value: String
    }

    /// Runs an instant query.
    /// - Parameter promql: The expression.
    /// - Returns: The vector's samples.
    /// - Throws: ``TestingError`` when Prometheus answers with an error.
    public func query(_ promql: String) async throws -> [VectorSample] {
        var components = URLComponents(string: "\(self.baseURL)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: promql)]
        let response = try await HTTPProbe.get(components.url!.absoluteString)
        guard response.status == 200,
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let data = object["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else {
            throw TestingError("query \(promql) failed: \(response.status) \(response.text)")
        }
        return result.compactMap { item in
            guard let metric = item["metric"] as? [String: String], let value = item["value"] as? [Any], value.count == 2,
                let text = value[1] as? String
            else { return nil }
            return VectorSample(labels: metric, value: text)
        }
    }

    /// Polls a query until `predicate` accepts its result.
    /// - Returns: The accepted result.
    /// - Throws: ``TestingError`` with the last result when the deadline passes.
    @discardableResult
    public func waitForQuery(
        _ promql: String, timeout: Duration = .seconds(30), until predicate: ([VectorSample]) -> Bool
    ) async throws -> [VectorSample] {
        let deadline = ContinuousClock.now + timeout
        var last: [VectorSample] = []
        while ContinuousClock.now < deadline {
            last = (try? await self.query(promql)) ?? []
            if predicate(last) { return last }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestingError("query \(promql) never matched; last result: \(last.map { "\($0.labels) \($0.value)" })")
    }

    /// Stops Prometheus (SIGTERM) and keeps its directory, to start again with `restarting:`.
    public func pause() async {
        await self.process.stop()
    }

    /// Stops Prometheus and removes its directory.
    public func stop() async {
        await self.process.stop()
        self.directory.remove()
    }
}
