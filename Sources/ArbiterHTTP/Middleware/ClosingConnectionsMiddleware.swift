import HTTPTypes
import Hummingbird
import NIOCore

/// Once shutdown has begun, answers with `Connection: close` and stops reading the connection, so a
/// keep-alive client that kept its connection across the start of shutdown moves on instead of
/// holding the server until the grace period ends.
///
/// The server's quiescing closes idle connections and those still sending a request's head (the
/// latter through `HTTPConnectionGuard` in ArbiterApp); this covers requests that arrive while
/// `/readyz` already answers 503 but the listener is still open (`shutdown.delay`).
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
