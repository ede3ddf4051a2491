import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP client of the client commands: JSON in and out, the token as a bearer header, and an
/// error answer printed as the server's `code` and message.
struct APIClient {
    let server: String
    let token: String?

    /// One client for the process. A server that refuses the connection (not running) is reported at
    /// once rather than retried quietly until the request's timeout.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends a request and returns the JSON object of a 2xx answer.
    /// - Throws: ``CommandLineFailure`` with the server's error, or when the server cannot be reached.
    func send(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        var base = self.server
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token = self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await Self.client.execute(request, timeout: .seconds(60))
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw CommandLineFailure("cannot reach \(base): \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status.code) else {
            let error = object["error"] as? [String: Any]
            let code = error?["code"] as? String ?? "http_\(response.status.code)"
            let message = error?["message"] as? String ?? response.status.reasonPhrase
            throw CommandLineFailure("\(method.rawValue) \(path): \(response.status.code) \(code): \(message)")
        }
        return object
    }
}

/// `--server` and the token, shared by the client commands.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's URL.")
    var server = "http://127.0.0.1:3000"

    @OptionGroup var credentials: ClientCredentials

    func client() throws -> APIClient {
        APIClient(server: self.server, token: try self.credentials.resolve())
    }
}
