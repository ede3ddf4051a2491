import ArbiterTesting
import Foundation
import Testing

/// What no HTTP client sends is answered 400 (431 for oversized headers) and its connection closed;
/// connections that never finish a request are closed after `http.header_timeout` or
/// `http.idle_timeout`; the daemon answers `/health` throughout.
@Suite struct MalformedHTTPTests {
    /// How long an answer and the close may take on a busy machine; a connection left open waits for ever.
    static let bound: Duration = .seconds(10)

    struct Malformed {
        let name: String
        let request: String
        let status: Int
    }

    static let requests = [
        Malformed(name: "a NUL byte in a header", request: "GET /health HTTP/1.1\r\nHost: arbiter\r\nX-Note: a\u{0}b\r\n\r\n", status: 400),
        Malformed(name: "GARBAGE as the request line", request: "GARBAGE\r\n\r\n", status: 400),
        Malformed(
            name: "Content-Length: abc", request: "POST /api/v1/jobs HTTP/1.1\r\nHost: arbiter\r\nContent-Length: abc\r\n\r\n{}", status: 400),
        Malformed(
            name: "both Content-Length and Transfer-Encoding",
            request: "POST /api/v1/jobs HTTP/1.1\r\nHost: arbiter\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
        Malformed(name: "HTTP/9.9", request: "GET /health HTTP/9.9\r\nHost: arbiter\r\n\r\n", status: 400),
        Malformed(
            name: "a header over 80 KiB",
            request: "GET /health HTTP/1.1\r\nHost: arbiter\r\nX-Big: \(String(repeating: "a", count: 90 * 1024))\r\n\r\n", status: 431),
    ]

    @Test func malformedRequestsAreAnsweredAndTheirConnectionsClosed() async throws {
        try await ArbiterServer.with { server in
            for malformed in Self.requests {
                let connection = try RawConnection(address: server.address)
                try await connection.send(malformed.request)
                let reply = try await connection.readUntilClosed(timeout: Self.bound)
                #expect(reply.statusLine.hasPrefix("HTTP/1.1 \(malformed.status) "), "\(malformed.name): got \(reply.statusLine.debugDescription)")
                #expect(reply.closed, "\(malformed.name): the connection was still open after \(Self.bound)")
                #expect(try await server.get("/health").status == 200, "\(malformed.name)")
            }
            // The daemon refused them quietly: nothing above debug level.
            #expect(!server.process.stderr.contains("Error handling upgrade result"), "\(server.process.stderr)")
        }
    }

    @Test func aMalformedChunkSizeIsABadRequestNotATooLargeOne() async throws {
        try await ArbiterServer.with { server in
            let connection = try RawConnection(address: server.address)
            try await connection.send(
                "POST /api/v1/jobs HTTP/1.1\r\nHost: arbiter\r\nAuthorization: Bearer \(server.adminToken)\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
            let reply = try await connection.readUntilClosed(timeout: Self.bound)
            #expect(reply.statusLine.hasPrefix("HTTP/1.1 400 "), "got \(reply.text.debugDescription)")
            #expect(reply.closed)
            #expect(try await server.get("/health").status == 200)
            #expect(try await server.get("/api/v1/jobs").text.contains(#""jobs":[]"#), "no job was created from the broken body")
        }
    }

    @Test func aMalformedRequestAfterAGoodOneOnTheSameConnection() async throws {
        try await ArbiterServer.with { server in
            let connection = try RawConnection(address: server.address)
            try await connection.send("GET /health HTTP/1.1\r\nHost: arbiter\r\n\r\nGARBAGE\r\n\r\n")
            let reply = try await connection.readUntilClosed(timeout: Self.bound)
            #expect(reply.statusLine == "HTTP/1.1 200 OK", "got \(reply.text.debugDescription)")
            #expect(reply.text.contains("HTTP/1.1 400 "), "got \(reply.text.debugDescription)")
            #expect(reply.closed)

            // The same after the first response has gone out: the refusal comes from the guard itself.
            let second = try RawConnection(address: server.address)
            try await second.send("GET /health HTTP/1.1\r\nHost: arbiter\r\n\r\n")
            let first = try await second.read(timeout: Self.bound) { String(decoding: $0, as: UTF8.self).contains(#"{"status":"ok"}"#) }
            #expect(first.statusLine == "HTTP/1.1 200 OK")
            try await second.send("GET /health HTTP/1.1\r\nHost: arbiter\r\nX-Big: \(String(repeating: "b", count: 90 * 1024))\r\n\r\n")
            let refused = try await second.readUntilClosed(timeout: Self.bound)
            #expect(refused.statusLine.hasPrefix("HTTP/1.1 431 "), "got \(refused.statusLine.debugDescription)")
            #expect(refused.closed)
            #expect(try await server.get("/health").status == 200)
        }
    }

    @Test func silentHalfSentAndIdleConnectionsAreClosedAfterTheirTimeouts() async throws {
        // One key from the file, one from the environment: both reach the server.
        try await ArbiterServer.with(environment: ["ARBITER_HTTP_IDLE_TIMEOUT": "2s"], config: "http:\n  header_timeout: 2s\n") { server in
            let opened = ContinuousClock.now
            let silent = try RawConnection(address: server.address)
            let halfSentHead = try RawConnection(address: server.address)
            try await halfSentHead.send("GET /health HTTP/1.1\r\nHost: arb")
            let idle = try RawConnection(address: server.address)
            try await idle.send("GET /health HTTP/1.1\r\nHost: arbiter\r\n\r\n")
            let halfSentSecondHead = try RawConnection(address: server.address)
            try await halfSentSecondHead.send("GET /health HTTP/1.1\r\nHost: arbiter\r\n\r\nGET /health HTTP/1.1\r\nHo")
            let stalledBody = try RawConnection(address: server.address)
            try await stalledBody.send(
                "POST /api/v1/jobs HTTP/1.1\r\nHost: arbiter\r\nAuthorization: Bearer \(server.adminToken)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":\"x\",\"payload\":{}}")
            let connections = [
                ("silent", silent), ("half-sent head", halfSentHead), ("idle keep-alive", idle), ("half-sent second head", halfSentSecondHead),
                ("stalled body", stalledBody),
            ]
            for (name, connection) in connections {
                let reply = try await connection.readUntilClosed(timeout: Self.bound + .seconds(2))
                #expect(reply.closed, "\(name): still open")
                if name == "idle keep-alive" || name == "half-sent second head" {
                    #expect(reply.statusLine == "HTTP/1.1 200 OK", "\(name): \(reply.text.debugDescription)")
                }
            }
            // Closed by the timeouts, which cannot end before they are due.
            #expect(opened.duration(to: .now) >= .seconds(1.5))
            #expect(try await server.get("/health").status == 200)
            #expect(try await server.get("/api/v1/jobs").text.contains(#""jobs":[]"#), "no job was created from the stalled body")
        }
    }
}
