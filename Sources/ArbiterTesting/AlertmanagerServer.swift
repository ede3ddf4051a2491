import Foundation

/// A real Alertmanager (the Debian package, 0.25 here) on a loopback port, clustering off, with a
/// route that delivers nowhere (tests read what it received from its API) or to one webhook.
public final class AlertmanagerServer: Sendable {
    public let process: ChildProcess
    public let directory: TemporaryDirectory
    /// `http://127.0.0.1:PORT`
    public let baseURL: String

    private init(process: ChildProcess, directory: TemporaryDirectory, baseURL: String) {
        self.process = process
        self.directory = directory
        self.baseURL = baseURL
    }

    /// Starts Alertmanager and waits for `/-/ready`.
    /// - Parameter webhook: Deliver every alert (and its resolution) to this URL, with this bearer
    ///   token, grouped by alert name and flushed every second.
    /// - Throws: ``TestingError`` when the binary is missing or it does not become ready.
    public static func start(webhook: (url: String, token: String)? = nil) async throws -> AlertmanagerServer {
        let receiver = webhook.map { webhook in
            """
              - name: "null"
                webhook_configs:
                  - url: "\(webhook.url)"
                    send_resolved: true
                    http_config:
                      authorization: {credentials: "\(webhook.token)"}
            """
        } ?? "  - name: \"null\""
        return try await self.start(config: """
            route:
              receiver: "null"
              group_by: [alertname]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
            \(receiver)
            """)
    }

    /// Starts Alertmanager on a configuration of the caller's and waits for `/-/ready`.
    /// - Parameters:
    ///   - config: The whole `alertmanager.yml`.
    ///   - port: The loopback port to listen on (a free one if not given).
    public static func start(config text: String, port given: Int? = nil) async throws -> AlertmanagerServer {
        let binary = try ExternalTool.alertmanager.require()
        let directory = try TemporaryDirectory(prefix: "alertmanager")
        let config = try directory.write("alertmanager.yml", text)
        let port = try given ?? FreePort.next()
        let process = try ChildProcess(
            executable: binary,
            arguments: [
                "--config.file=\(config)", "--storage.path=\(directory.file("data"))", "--web.listen-address=127.0.0.1:\(port)",
                "--cluster.listen-address=",
            ],
            directory: directory.path, name: "alertmanager"
        )
        let server = AlertmanagerServer(process: process, directory: directory, baseURL: "http://127.0.0.1:\(port)")
        do {
            try await HTTPProbe.waitUntilReady("\(server.baseURL)/-/ready", process: process, name: "alertmanager")
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// The active alerts (`GET /api/v2/alerts`): resolved ones are gone from this list.
    public func alerts() async throws -> [[String: Any]] {
        let response = try await HTTPProbe.get("\(self.baseURL)/api/v2/alerts")
        guard response.status == 200, let list = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] else {
            throw TestingError("GET /api/v2/alerts: \(response.status) \(response.text)")
        }
        return list
    }

    /// Polls the active alerts until `predicate` accepts them.
    @discardableResult
    public func waitForAlerts(timeout: Duration = .seconds(60), until predicate: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        var last: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            last = (try? await self.alerts()) ?? []
            if predicate(last) { return last }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestingError("Alertmanager never had the expected alerts; last: \(last)")
    }

    public func stop() async {
        await self.process.stop()
        self.directory.remove()
    }
}
