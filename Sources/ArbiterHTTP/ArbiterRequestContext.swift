import ArbiterJobs
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the slot a WebSocket route
/// (the worker channel) uses to hand over its connection.
public struct ArbiterRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ArbiterRequestContext>
    /// The connection the request came on.
    public let channel: any Channel
    /// Who made the request, once ``AccessMiddleware`` has authenticated it.
    public var principal: Principal?
    /// The console session the request came with, once ``AccessMiddleware`` has checked it.
    var consoleSession: ConsoleSessions.Session?
    /// A console form's fields, read (and its CSRF token checked) by ``AccessMiddleware``.
    var consoleForm: [String: String] = [:]

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }
}
