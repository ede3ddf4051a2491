import ArbiterCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Prometheus HTTP API's envelope: `{"status":"success","data":…}` or
/// `{"status":"error","errorType":"bad_data","error":"…"}`; errors also carry Arbiter's `code` and
/// the `field` at fault.
enum PrometheusAPI {
    static func success(_ data: Any, warnings: [String] = []) -> Response {
        var object: [String: Any] = ["status": "success", "data": data]
        if !warnings.isEmpty { object["warnings"] = warnings }
        return self.respond(.ok, object)
    }

    /// A refused or failed call.
    struct Failure: Error {
        enum Kind: String {
            case badData = "bad_data"
            case execution
            case timeout
            case unavailable
            case `internal`
        }

        let kind: Kind
        let message: String
        let code: String
        let field: String?

        init(_ kind: Kind, _ message: String, code: String, field: String? = nil) {
            self.kind = kind
            self.message = message
            self.code = code
            self.field = field
        }

        /// `invalid parameter "time": …`, 400.
        static func parameter(_ field: String, _ problem: String) -> Failure {
            Failure(.badData, "invalid parameter \"\(field)\": \(problem)", code: "invalid_parameter", field: field)
        }

        var status: HTTPResponse.Status {
            switch self.kind {
            case .badData: .badRequest
            case .execution: .unprocessableContent
            case .timeout, .unavailable: .serviceUnavailable
            case .internal: .internalServerError
            }
        }
    }

    static func failure(_ failure: Failure) -> Response {
        var object: [String: Any] = ["status": "error", "errorType": failure.kind.rawValue, "error": failure.message, "code": failure.code, "message": failure.message]
        if let field = failure.field { object["field"] = field }
        return self.respond(failure.status, object)
    }

    /// Runs a handler, answering its ``Failure`` in the envelope.
    static func handle(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as Failure {
            return self.failure(failure)
        }
    }

    private static func respond(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(object))))
    }

    /// A time parameter: Unix seconds with a fraction, or RFC 3339 (Prometheus's `parseTime`).
    static func time(_ text: String?, _ field: String, default fallback: Int64?) throws -> Int64? {
        guard let text else { return fallback }
        if let seconds = Double(text), seconds.isFinite, abs(seconds) < 9e15 {
            return Int64((seconds * 1000).rounded())
        }
        if let milliseconds = try? RFC3339.milliseconds(from: text) { return milliseconds }
        throw Failure.parameter(field, "cannot parse \"\(text)\" to a valid timestamp")
    }

    /// A duration parameter: seconds with a fraction, or a Prometheus duration (`5m`).
    static func duration(_ text: String?, _ field: String) throws -> Int64? {
        guard let text else { return nil }
        if let seconds = Double(text), seconds.isFinite {
            guard abs(seconds) < 9e12 else { throw Failure.parameter(field, "cannot parse \"\(text)\" to a valid duration. It overflows int64") }
            return Int64((seconds * 1000).rounded())
        }
        if let milliseconds = PrometheusDuration.milliseconds(text) { return milliseconds }
        throw Failure.parameter(field, "cannot parse \"\(text)\" to a valid duration")
    }
}
