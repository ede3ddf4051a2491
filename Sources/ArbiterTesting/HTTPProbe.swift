import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP requests for tests: no decompression, no retries, the raw status, headers and bytes.
public enum HTTPProbe {
    /// A client that leaves bodies compressed (the shared client decompresses) and never shuts down.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
    )

    /// A response as received.
    public struct Response: Sendable {
        /// Status code.
        public let status: Int
        /// Headers, as received.
        public let headers: HTTPHeaders
        /// Body bytes, not decompressed.
        public let body: [UInt8]

        /// The body as UTF-8 text.
        public var text: String { String(decoding: self.body, as: UTF8.self) }

        /// The first value of a header.
        public func header(_ name: String) -> String? { self.headers.first(name: name) }
    }

    /// Sends a request.
    /// - Parameters:
    ///   - url: Full URL.
    ///   - method: HTTP method.
    ///   - headers: Request headers.
    ///   - body: Request body.
    ///   - timeout: Deadline for the whole exchange.
    /// - Returns: The response.
    public static func send(
        _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Duration = .seconds(10)
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await self.client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        let buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
        return Response(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// `GET url`.
    public static func get(_ url: String, headers: [(String, String)] = []) async throws -> Response {
        try await self.send(url, headers: headers)
    }

    /// Polls `url` until it answers 200, while `process` runs, for at most 30 seconds.
    /// - Throws: ``TestingError`` with the process's log when it does not become ready.
    public static func waitUntilReady(_ url: String, process: ChildProcess, name: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? await self.get(url), response.status == 200 { return }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestingError("\(name) did not become ready:\n\(process.stderr)")
    }
}
