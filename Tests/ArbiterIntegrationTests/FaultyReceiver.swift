import ArbiterRemoteWrite
import Foundation
import Hummingbird
import HummingbirdTLS
import NIOCore
import NIOSSL
import Synchronization

/// A remote-write receiver that answers from a script, per path: a status (with or without
/// `Retry-After`) or a slow answer, then 204 once the script is used up. It decodes every request
/// and remembers what it got and answered, and how many requests it held at once. Over TLS when
/// given a TLS configuration.
final class FaultyReceiver: Sendable {
    enum Fault: Sendable {
        case status(Int, retryAfter: String? = nil)
        /// Answers 204, but only after this long.
        case slow(Duration)
    }

    struct Received: Sendable {
        var at: ContinuousClock.Instant
        var path: String
        var samples: Int
        var timestamps: Set<Int64>
        /// By lower-case name.
        var headers: [String: String]
        var answered: Int
    }

    private let scripts: Mutex<[String: [Fault]]>
    private let log = Mutex<[Received]>([])
    private let inFlight = Mutex<(now: Int, most: Int)>((0, 0))
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    let port: Int

    private init(scripts: [String: [Fault]], port: Int) {
        self.scripts = Mutex(scripts)
        self.port = port
    }

    /// Starts on a free loopback port.
    static func start(scripts: [String: [Fault]], tls: TLSConfiguration? = nil) async throws -> FaultyReceiver {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let holder = Mutex<FaultyReceiver?>(nil)
        let router = Router()
        router.post("/{name}") { request, context -> Response in
            // Logged at arrival, before the body is read, so a loaded machine skews the gaps less.
            let arrived = ContinuousClock.now
            let name = try context.parameters.require("name")
            let body = try await request.body.collect(upTo: 64 << 20)
            guard let receiver = holder.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            return try await receiver.handle(name: name, arrived: arrived, body: Array(body.readableBytesView), headers: request.headers)
        }
        let app = Application(
            router: router, server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let receiver = FaultyReceiver(scripts: scripts, port: port)
        holder.withLock { $0 = receiver }
        receiver.task.withLock { $0 = task }
        return receiver
    }

    private func handle(name: String, arrived: ContinuousClock.Instant, body: [UInt8], headers: HTTPFields) async throws -> Response {
        let fault = self.scripts.withLock { scripts -> Fault? in
            guard var script = scripts[name], !script.isEmpty else { return nil }
            let next = script.removeFirst()
            scripts[name] = script
            return next
        }
        let decoded = DecodedWriteRequest(compressed: body)
        var fields: [String: String] = [:]
        for field in headers { fields[field.name.canonicalName] = field.value }
        var status = decoded == nil ? 400 : 204
        var response = HTTPFields()
        if case .status(let code, let retryAfter) = fault {
            status = code
            if let retryAfter { response[.retryAfter] = retryAfter }
        }
        // Logged as it arrived, so the log is in the order the sender sent.
        let samples = decoded?.series.reduce(0) { $0 + $1.samples.count } ?? 0
        let timestamps = Set(decoded?.series.flatMap { $0.samples.map(\.timestamp) } ?? [])
        self.log.withLock {
            $0.append(Received(at: arrived, path: name, samples: samples, timestamps: timestamps, headers: fields, answered: status))
        }
        self.inFlight.withLock { $0 = ($0.now + 1, max($0.most, $0.now + 1)) }
        defer { self.inFlight.withLock { $0.now -= 1 } }
        if case .slow(let delay) = fault { try await Task.sleep(for: delay) }
        return Response(status: .init(code: status), headers: response)
    }

    /// What the path received, in order.
    func received(_ path: String) -> [Received] {
        self.log.withLock { $0.filter { $0.path == path } }
    }

    /// The most requests it held at once.
    var mostInFlight: Int { self.inFlight.withLock { $0.most } }

    func stop() {
        self.task.withLock { $0?.cancel() }
    }
}
