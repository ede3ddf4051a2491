import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Answers a refused WebSocket upgrade with the refusal the router made, not an empty 400.
///
/// A WebSocket upgrade request (`GET /api/v1/workers/{id}/connect`) is routed while the connection is
/// still deciding whether to upgrade. When the router refuses it (401 for a bad credential, 403 for
/// another worker's token, 429 while locked out, 400 for a bad worker id), Hummingbird's WebSocket
/// server drops that answer and writes an empty 400 of its own. This middleware writes the router's
/// answer (status, headers and the JSON error) to the connection itself and then closes the
/// connection's output, so the client reads the documented error and the empty 400 that follows is
/// never sent.
///
/// - Important: It must be the router's outermost middleware, so that it sees every refusal, thrown or
///   returned.
struct UpgradeRefusalMiddleware: RouterMiddleware {
    typealias Context = ArbiterRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isUpgradeAttempt(request) else { return try await next(request, context) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        // 200 is the router's consent: the WebSocket server answers 101 and hands the connection over.
        guard response.status != .ok else { return response }
        response.headers[HTTPMetricsMiddleware.requestID] = context.id
        await Self.write(response, to: context.channel, logger: context.logger)
        return response
    }

    /// Whether the request is one the WebSocket server is deciding to upgrade: such a request reaches
    /// the router only on that path (on an HTTP connection it is redirected before routing).
    static func isUpgradeAttempt(_ request: Request) -> Bool {
        guard let upgrade = request.headers[.upgrade], request.headers[.secWebSocketKey] != nil else { return false }
        return upgrade.split(separator: ",").contains { token in
            token.filter { $0 != " " && $0 != "\t" }.lowercased() == "websocket"
        }
    }

    /// Writes the response as HTTP/1.1 with `Connection: close`, then closes the connection's output
    /// once it is sent. A connection that is already gone is left alone.
    private static func write(_ response: Response, to channel: any Channel, logger: Logger) async {
        var headers = HTTPHeaders(response.headers.map { ($0.name.rawName, $0.value) })
        headers.replaceOrAdd(name: "Connection", value: "close")
        if let length = response.body.contentLength {
            headers.replaceOrAdd(name: "Content-Length", value: String(length))
        }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: headers)
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
            try await response.body.write(ChannelBodyWriter(channel: channel))
            try await channel.close(mode: .output)
        } catch {
            logger.debug("the refusal of a WebSocket upgrade could not be written", metadata: ["error": "\(error)"])
        }
    }
}

/// Writes a response body straight to a connection whose HTTP/1 encoder takes `HTTPServerResponsePart`.
private struct ChannelBodyWriter: ResponseBodyWriter {
    let channel: any Channel

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await self.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await self.channel.writeAndFlush(HTTPServerResponsePart.end(nil))
    }
}
