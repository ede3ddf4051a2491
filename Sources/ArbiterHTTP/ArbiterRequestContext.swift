import Hummingbird
import HummingbirdWebSocket

/// The request context of every route: Hummingbird's core storage plus the slot a WebSocket route
/// (the worker channel) uses to hand over its connection.
public struct ArbiterRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ArbiterRequestContext>

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
    }
}
