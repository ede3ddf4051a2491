import Foundation

/// A real Alertmanager (the Debian package, 0.25 here) on a loopback port, clustering off, with a
/// route that delivers nowhere: tests read what it received from its API.
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
    /// - Throws: ``TestingError`` when the binary is missing or it does not become ready.
    public static func start() async throws -> AlertmanagerServer {
        let binary = try ExternalTool.alertmanager.require()
        let directory = try TemporaryDirectory(prefix: "alertmanager")
        let config = try directory.write("alertmanager.yml", """
            route:
              receiver: "null"
              group_wait: 1s
            receivers:
              - name: "null"
            """)
        let port = try FreePort.next()
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
