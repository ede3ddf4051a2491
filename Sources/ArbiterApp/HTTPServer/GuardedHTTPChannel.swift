import ArbiterHTTP
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 server with the WebSocket upgrade, with an ``HTTPConnectionGuard`` in every
/// connection's pipeline.
struct GuardedHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let base: HTTP1WebSocketUpgradeChannel
    /// How long a new connection may take to send its first request's head.
    let headerTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let headerTimeout = self.headerTimeout
        return self.base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Last, that is right after the upgrade handler: Hummingbird adds its HTTP handlers after
            // it once the first request head has arrived, and the WebSocket handlers on an upgrade.
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionGuard(headerTimeout: headerTimeout, logger: logger))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }

    /// The server for `Application`: HTTP/1.1 routed by `router`, WebSocket upgrades routed by
    /// `webSocketRouter`, every connection guarded.
    /// - Parameters:
    ///   - webSocketRouter: The router that decides whether a request upgrades to a WebSocket.
    ///   - configuration: Hummingbird's HTTP/1.1 (idle timeout, header limits) and WebSocket settings.
    ///   - headerTimeout: How long a new connection may take to send its first request's head.
    /// - Returns: The builder `Application` (or `.tls`) takes.
    static func builder(
        webSocketRouter: Router<ArbiterRequestContext>, configuration: HTTP1WebSocketUpgradeChannel.Configuration, headerTimeout: Duration
    ) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            GuardedHTTPChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                headerTimeout: headerTimeout)
        }
    }
}
