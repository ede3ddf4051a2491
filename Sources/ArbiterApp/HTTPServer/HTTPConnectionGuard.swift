import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// Ends the HTTP connections Hummingbird would otherwise keep open for good.
///
/// Hummingbird's WebSocket-upgrade server sets NIO's HTTP pipeline up without
/// `HTTPServerProtocolErrorHandler` and, until a connection's first request head is complete, awaits
/// the upgrade handler's verdict, which a parse error, a silent client or the shutdown's quiesce event
/// never delivers. This handler, placed after the upgrade handler and before Hummingbird's own HTTP
/// handlers, answers a request the decoder cannot parse with 400 (431 for oversized headers) when no
/// other response is due, closes a connection whose first request head has not arrived within the
/// header timeout, and closes such connections at once when the server quiesces. Once the first
/// head has passed, Hummingbird's connection handler takes over idle timeouts and quiescing.
///
/// - Important: It removes itself when the connection upgrades to a WebSocket, before any frame passes.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// After a refusal, how long the connection stays open reading (and dropping) what the client still
    /// sends, so that closing it does not reset the connection before the client has read the answer.
    static let lingerTime: TimeAmount = .seconds(2)

    private var state = StateMachine()
    private let headerTimeout: TimeAmount
    private let logger: Logger
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - headerTimeout: How long the first request's head may take to arrive.
    ///   - logger: Where refusals are logged (at debug level: clients choose what they send).
    init(headerTimeout: Duration, logger: Logger) {
        self.headerTimeout = TimeAmount(headerTimeout)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.activated(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.activated(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: StateMachine.ReadAction
        switch Self.unwrapInboundIn(data) {
        case .head: action = self.state.requestHeadRead()
        case .body, .end: action = self.state.requestPartRead()
        }
        switch action {
        case .forward:
            context.fireChannelRead(data)
        case .forwardAndCancelHeaderTimeout:
            self.cancelTimer()
            context.fireChannelRead(data)
        case .discard:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = Self.unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        switch self.state.responseEndWritten() {
        case .write:
            context.write(data, promise: promise)
        case .writeAndLinger:
            context.write(data, promise: promise)
            self.linger(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let action: StateMachine.ErrorAction
        if let parserError = error as? HTTPParserError {
            action = self.state.parseFailed(Refusal(parserError))
        } else {
            action = self.state.otherErrorCaught()
        }
        switch action {
        case .refuse(let refusal):
            self.refuse(refusal, cause: error, context: context)
        case .forward:
            context.fireErrorCaught(error)
        case .discard:
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            switch self.state.quiesce() {
            case .close: self.close(context: context)
            case .forward: context.fireUserInboundEventTriggered(event)
            case .doNothing: break
            }
        case is HTTPServerUpgradeEvents:
            context.fireUserInboundEventTriggered(event)
            // From here on WebSocket frames pass where HTTP parts did.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func activated(context: ChannelHandlerContext) {
        guard self.state.activated() == .scheduleHeaderTimeout else { return }
        self.schedule(after: self.headerTimeout, context: context) { handler, context in
            if handler.state.headerTimeoutFired() == .close {
                handler.logger.debug("closing a connection whose first request did not arrive in time", metadata: Self.peer(context))
                handler.close(context: context)
            }
        }
    }

    private func refuse(_ refusal: Refusal, cause: any Error, context: ChannelHandlerContext) {
        var metadata = Self.peer(context)
        metadata["error"] = "\(cause)"
        metadata["status"] = "\(refusal.status.code)"
        self.logger.debug("refused a request that is not valid HTTP/1.1", metadata: metadata)
        let response = refusal.response()
        context.write(Self.wrapOutboundOut(.head(response.head)), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        self.linger(context: context)
    }

    private func linger(context: ChannelHandlerContext) {
        self.schedule(after: Self.lingerTime, context: context) { handler, context in
            if handler.state.lingerTimeFired() == .close { handler.close(context: context) }
        }
    }

    /// Closes the connection. Before the first request, Hummingbird awaits the upgrade handler, and
    /// closing under it is logged as a failed upgrade (an error); told that the input ended, that
    /// handler closes the connection itself and Hummingbird takes it as the client going away.
    private func close(context: ChannelHandlerContext) {
        self.cancelTimer()
        let operations = context.pipeline.syncOperations
        if (try? operations.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)) != nil,
            let decoder = try? operations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        {
            decoder.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        context.close(promise: nil)
    }

    private func schedule(
        after delay: TimeAmount, context: ChannelHandlerContext, _ body: @escaping (HTTPConnectionGuard, ChannelHandlerContext) -> Void
    ) {
        self.cancelTimer()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.timer = nil
            body(self, context)
        }
    }

    private func cancelTimer() {
        self.timer?.cancel()
        self.timer = nil
    }

    private static func peer(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "unknown")"]
    }
}

@available(*, unavailable)
extension HTTPConnectionGuard: Sendable {}
