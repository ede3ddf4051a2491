import ArbiterTesting
import Foundation
import HTTPTypes
import Logging
import NIOWebSocket
import Synchronization
import WSClient

/// A worker written by hand, as a worker in another language would be: it opens the worker channel,
/// sends what the test tells it to, and keeps every message the server sends and the close frame
/// that ended the connection.
final class WorkerSocket: Sendable {
    private struct State {
        var outbound: WebSocketOutboundWriter?
        var received: [String] = []
        var ended = false
        var closeCode: WebSocketErrorCode?
        var error: String?
    }

    let workerID: String
    private let state = Mutex(State())
    private let connection: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Opens `/api/v1/workers/{workerID}/connect` on `server` (as the admin unless `token` is given).
    init(_ server: ArbiterServer, workerID: String, token: String? = nil) {
        self.workerID = workerID
        let url = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/workers/\(workerID)/connect"
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token ?? server.adminToken)"
        let task = Task { [self] in
            do {
                let close = try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: 32 << 20, additionalHeaders: headers), logger: Logger(label: "worker-socket")
                ) { inbound, outbound, _ in
                    self.state.withLock { $0.outbound = outbound }
                    for try await message in inbound.messages(maxSize: 32 << 20) {
                        guard case .text(let text) = message else { continue }
                        self.state.withLock { $0.received.append(text) }
                    }
                }
                self.state.withLock {
                    $0.closeCode = close?.closeCode
                    $0.ended = true
                }
            } catch {
                self.state.withLock {
                    $0.error = "\(error)"
                    $0.ended = true
                }
            }
        }
        self.connection.withLock { $0 = task }
    }

    /// Every message the server sent so far, decoded.
    /// Every frame received, each `batch` followed by the messages in it (the server sends the
    /// assignments of one lease as a batch).
    var messages: [[String: Any]] {
        self.state.withLock { $0.received }.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            .flatMap { frame in [frame] + (frame["type"] as? String == "batch" ? frame["messages"] as? [[String: Any]] ?? [] : []) }
    }

    /// Sends one text message, once the connection is open.
    func send(_ text: String) async throws {
        // Generous: on a loaded machine the upgrade (a token check, the handshake) can take seconds.
        try await Polling.until("the connection of \(self.workerID) is open", timeout: .seconds(30)) {
            self.state.withLock { $0.outbound != nil || $0.ended }
        }
        guard let outbound = self.state.withLock({ $0.outbound }) else { throw TestingError("\(self.workerID): the connection ended before it opened") }
        try await outbound.write(.text(text))
    }

    /// Sends the worker's hello and waits for the server's.
    /// - Returns: The server's hello.
    @discardableResult
    func hello(capabilities: [String], concurrency: Int = 1) async throws -> [String: Any] {
        let list = capabilities.map { "\"\($0)\"" }.joined(separator: ",")
        try await self.send(#"{"type":"hello","protocol":1,"capabilities":[\#(list)],"concurrency":\#(concurrency)}"#)
        return try await self.next { $0["type"] as? String == "hello" }
    }

    /// Waits until the server has sent a message that matches, counting from the first message.
    /// - Parameter after: How many matching messages to skip.
    /// - Returns: The matching message.
    @discardableResult
    func next(after skipped: Int = 0, timeout: Duration = .seconds(15), _ matches: ([String: Any]) -> Bool) async throws -> [String: Any] {
        var found: [String: Any]?
        do {
            try await Polling.until("\(self.workerID) receives a matching message", timeout: timeout) {
                let matching = self.messages.filter(matches)
                found = matching.count > skipped ? matching[skipped] : nil
                return found != nil || self.state.withLock { $0.ended }
            }
        } catch {
            throw TestingError("\(self.workerID): no matching message within \(timeout); received \(self.state.withLock { $0.received })")
        }
        guard let found else {
            throw TestingError("\(self.workerID): the connection ended (\(self.ending)) before a matching message; received \(self.state.withLock { $0.received })")
        }
        return found
    }

    /// Waits until the connection has ended.
    /// - Returns: The close code the server sent, if it sent one.
    func closed(timeout: Duration = .seconds(15)) async throws -> WebSocketErrorCode? {
        try await Polling.until("the connection of \(self.workerID) ends", timeout: timeout) { self.state.withLock { $0.ended } }
        return self.state.withLock { $0.closeCode }
    }

    /// How the connection ended, for messages.
    var ending: String {
        self.state.withLock { state in
            state.error.map { "error: \($0)" } ?? state.closeCode.map { "close code \($0)" } ?? (state.ended ? "ended" : "open")
        }
    }

    /// Closes the connection with `code` (1000 by default) and waits for it to end.
    func close(_ code: WebSocketErrorCode = .normalClosure) async {
        if let outbound = self.state.withLock({ $0.outbound }) { try? await outbound.close(code, reason: nil) }
        _ = try? await self.closed(timeout: .seconds(10))
        self.connection.withLock { $0 }?.cancel()
    }
}
