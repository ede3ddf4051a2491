import HTTPTypes
import Hummingbird
import NIOCore

/// Once shutdown has begun, answers with `Connection: close` and stops reading the connection, so a
/// keep-alive client that kept its connection across the start of shutdown moves on instead of
/// holding the server until the grace period ends.
///
/// The server's own quiescing closes idle connections; this covers a connection accepted just before
/// shutdown whose first request was still being read (with the WebSocket-upgrade server, such a
/// connection has not yet joined the HTTP pipeline that hears the quiesce event).
struct ClosingConnectionsMiddleware: RouterMiddleware {
    typealias Context = ArbiterRequestContext

    let readiness: Readiness

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if self.readiness.current == .stopping {
            response.headers[.connection] = "close"
            // Reading stops: the response is still written, then the connection ends.
            context.channel.close(mode: .input, promise: nil)
        }
        return response
    }
}
