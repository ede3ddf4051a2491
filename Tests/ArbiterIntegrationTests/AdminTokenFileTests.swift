import ArbiterTesting
import Foundation
import Testing

/// `auth.admin_token_file`: the first admin token from a secret an orchestrator mounts, so that the
/// services beside Arbiter (a Prometheus, an Alertmanager, a Grafana) can hold it before it starts.
@Suite struct AdminTokenFileTests {
    static let token = "arb_" + String(repeating: "A1b2-C3d_", count: 5).prefix(43)

    @Test func theFirstAdminTokenComesFromTheFileAndNoneIsWritten() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("admin_token", Self.token + "\n")
        try await ArbiterServer.with(environment: ["ARBITER_AUTH_ADMIN_TOKEN_FILE": file]) { server in
            #expect(server.adminToken.isEmpty, "no <data_dir>/admin.token")
            let tokens = try await server.send("/api/v1/tokens", token: Self.token)
            #expect(tokens.status == 200 && tokens.text.contains("bootstrap-admin"), "\(tokens.text)")
            #expect(try await server.send("/api/v1/tokens", token: "arb_" + String(repeating: "x", count: 43)).status == 401)
            #expect(!server.process.stderr.contains(Self.token), "the log never holds the token")
        }
    }

    @Test func aFileThatHoldsNoTokenStopsTheStartNamingIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("admin_token", "hunter2\n")
        let result = try await ArbiterServer.run(
            ["serve", "--listen", "127.0.0.1:0", "--data-dir", directory.file("data")], environment: ["ARBITER_AUTH_ADMIN_TOKEN_FILE": file], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("auth.admin_token_file \(file): not an API token"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
    }
}
