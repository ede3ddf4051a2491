import ArbiterTesting
import Foundation
import Testing

/// SIGTERM ends the process with status 0 within the grace period whatever its clients leave open:
/// a connection that never sent anything, one halfway through its first request's head, an idle
/// keep-alive connection, and one halfway through its second request's head.
@Suite struct OpenConnectionsShutdownTests {
    @Test func sigtermWithIdleAndHalfSentConnectionsExitsZeroWithinTheGracePeriod() async throws {
        // The timeouts outlast the grace period, so only the shutdown itself can close these connections.
        let server = try await ArbiterServer.start(
            arguments: ["--shutdown-grace-period", "10s"], config: "http:\n  header_timeout: 5m\n  idle_timeout: 5m\n")
        defer { server.directory.remove() }
        // Opened before the keep-alive connections, so the server has accepted them once those are answered.
        let silent = try RawConnection(address: server.address)
        let halfSent = try RawConnection(address: server.address)
        try await halfSent.send("POST /api/v1/jobs HTTP/1.1\r\nHost: arbiter\r\nContent-Ty")
        let idle = try RawConnection(address: server.address)
        let halfSentSecond = try RawConnection(address: server.address)
        for connection in [idle, halfSentSecond] {
            try await connection.send("GET /health HTTP/1.1\r\nHost: arbiter\r\n\r\n")
            let answer = try await connection.read(timeout: .seconds(10)) { String(decoding: $0, as: UTF8.self).contains(#"{"status":"ok"}"#) }
            #expect(answer.statusLine == "HTTP/1.1 200 OK", "got \(answer.text.debugDescription)")
        }
        try await halfSentSecond.send("GET /health HTTP/1.1\r\nHo")

        let sent = ContinuousClock.now
        server.process.signal(SIGTERM)
        let status = await server.process.waitForExit(timeout: .seconds(30))
        let took = sent.duration(to: .now)
        if status == nil { await server.process.stop() }
        #expect(status == 0, "exit status \(status.map { "\($0)" } ?? "none after 30s"); stderr:\n\(server.process.stderr)")
        #expect(took < .seconds(10), "exit took \(took), the grace period is 10s")
        let log = server.process.stderr
        #expect(log.contains("\"msg\":\"arbiter stopped\""))
        #expect(!log.contains("Cancellation took longer than allowed"))
        // Closed as connections whose client went away, not as failed WebSocket upgrades.
        #expect(!log.contains("Error handling upgrade result"), "\(log)")
        for connection in [silent, halfSent, idle, halfSentSecond] { connection.close() }
    }
}
