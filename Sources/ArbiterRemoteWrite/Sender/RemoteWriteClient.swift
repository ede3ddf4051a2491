import ArbiterCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends compressed `WriteRequest`s to one endpoint and says what to do with each answer, as the
/// remote-write 1.0 spec and Prometheus do: 2xx delivered; network errors and 5xx retried (after
/// `Retry-After` when the answer has one); 429 retried only with `retry_on_http_429`; any other
/// answer dropped.
final class RemoteWriteClient: Sendable {
    enum Outcome: Sendable, Equatable {
        case delivered
        case retry(after: Duration?, reason: String)
        case drop(reason: String)
    }

    let endpoint: RemoteWriteEndpoint
    private let client: HTTPClient

    init(endpoint: RemoteWriteEndpoint) throws {
        self.endpoint = endpoint
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(min(10, endpoint.remoteTimeout.components.seconds + 1)))
        configuration.decompression = .disabled
        // A refused connection is an attempt that failed: the sender's own backoff retries it, as
        // Prometheus's does, instead of the pool retrying quietly until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        // One connection per shard.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, endpoint.queue.maxShards)
        if endpoint.url.hasPrefix("https://") { configuration.tlsConfiguration = try Self.tls(endpoint.tls) }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await self.client.shutdown()
    }

    private static func tls(_ options: RemoteWriteEndpoint.TLS) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caFile { tls.trustRoots = .file(ca) }
        if let cert = options.certFile, let key = options.keyFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        if options.insecureSkipVerify { tls.certificateVerification = .none }
        return tls
    }

    /// One attempt (`attempt` counts from 0; retries carry `Retry-Attempt`).
    func send(_ payload: [UInt8], attempt: Int) async -> Outcome {
        var request = HTTPClientRequest(url: self.endpoint.url)
        request.method = .POST
        for (name, value) in self.endpoint.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Encoding", value: "snappy")
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.headers.add(name: "User-Agent", value: "Arbiter/\(ArbiterVersion.version)")
        request.headers.add(name: "X-Prometheus-Remote-Write-Version", value: "0.1.0")
        if attempt > 0 { request.headers.add(name: "Retry-Attempt", value: String(attempt)) }
        if let authorization = self.authorization() { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response: HTTPClientResponse
        do {
            response = try await self.client.execute(request, timeout: .milliseconds(self.endpoint.remoteTimeout.wholeMilliseconds))
        } catch {
            return .retry(after: nil, reason: "\(error)")
        }
        let status = response.status.code
        // The body is read (up to 1 KiB, for the log) so the connection can be reused.
        let body = (try? await response.body.collect(upTo: 1024)).map { String(buffer: $0) } ?? ""
        let reason = "HTTP \(status)" + (body.isEmpty ? "" : ": \(body.prefix(200))")
        switch status {
        case 200..<300:
            return .delivered
        case 500..<600:
            return .retry(after: Self.retryAfter(response.headers.first(name: "Retry-After")), reason: reason)
        case 429 where self.endpoint.queue.retryOnHTTP429:
            return .retry(after: Self.retryAfter(response.headers.first(name: "Retry-After")), reason: reason)
        default:
            return .drop(reason: reason)
        }
    }

    /// `Retry-After` as seconds or an HTTP date; `nil` (use the backoff) when absent or unreadable.
    /// A receiver's wait is honoured up to an hour: past that it is more likely a mistake than a plan,
    /// and the queue would otherwise stall until a restart.
    static let longestRetryAfter: Duration = .seconds(3600)

    static func retryAfter(_ text: String?, now: Date = Date()) -> Duration? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Int(text) { return seconds > 0 ? min(.seconds(seconds), Self.longestRetryAfter) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds > 0 ? min(.milliseconds(Int64(min(seconds, 3600) * 1000)), Self.longestRetryAfter) : nil
    }

    private func authorization() -> String? {
        if let basic = self.endpoint.basicAuth {
            let password = basic.password ?? basic.passwordFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return "Basic " + Data("\(basic.username):\(password)".utf8).base64EncodedString()
        }
        if let token = self.endpoint.bearerToken { return "Bearer \(token)" }
        if let file = self.endpoint.bearerTokenFile, let token = try? String(contentsOfFile: file, encoding: .utf8) {
            return "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        return nil
    }
}
