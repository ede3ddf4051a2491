import ArbiterCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/health`, `/health/detailed`, `/livez` and `/readyz`.
struct HealthEndpoints: Sendable {
    let readiness: Readiness
    let checks: [any HealthCheck]
    let startedAt: ContinuousClock.Instant

    private struct Detailed: Encodable {
        let status: ComponentHealth.Status
        let version: String
        let phase: String
        let uptimeSeconds: Double
        let components: [String: ComponentHealth]

        enum CodingKeys: String, CodingKey {
            case status, version, phase, components
            case uptimeSeconds = "uptime_seconds"
        }
    }

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/health") { _, _ in Self.json(.ok, #"{"status":"ok"}"#) }
        router.get("/livez") { _, _ in Self.json(.ok, #"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in
            switch self.readiness.current {
            case .ready:
                for check in self.checks where check.gatesReadiness {
                    let health = await check.check()
                    if health.status == .down {
                        return Self.json(.serviceUnavailable, #"{"status":"unavailable","component":"\#(check.name)"}"#)
                    }
                }
                return Self.json(.ok, #"{"status":"ready"}"#)
            case .starting: return Self.json(.serviceUnavailable, #"{"status":"starting"}"#)
            case .stopping: return Self.json(.serviceUnavailable, #"{"status":"stopping"}"#)
            }
        }
        router.get("/health/detailed") { _, _ in try await self.detailed() }
    }

    private func detailed() async throws -> Response {
        var components: [String: ComponentHealth] = [:]
        for check in self.checks {
            components[check.name] = await check.check()
        }
        let phase = self.readiness.current
        let worst = components.values.map(\.status).max() ?? .ok
        let report = Detailed(
            status: worst,
            version: ArbiterVersion.version,
            phase: "\(phase)",
            uptimeSeconds: Double(self.startedAt.duration(to: .now).components.seconds),
            components: components
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(report)
        return Self.json(worst == .down ? .serviceUnavailable : .ok, String(decoding: body, as: UTF8.self))
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
