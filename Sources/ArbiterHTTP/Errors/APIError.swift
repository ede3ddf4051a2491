import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered to an API client as
/// `{"error":{"code":"…","message":"…","field":"…","request_id":"…"}}`.
///
/// `code` is stable and machine-readable; `message` is a sentence for a person and names the field
/// or parameter at fault; `request_id` matches the `X-Request-Id` header and the server's log line.
public struct APIError: HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// Stable machine-readable code, such as `invalid_parameter`.
    public let code: String
    /// What went wrong, for a person.
    public let message: String
    /// The request field or parameter at fault, if one is.
    public let field: String?
    /// Seconds for a `Retry-After` header (a refusal that passes).
    public var retryAfterSeconds: Int?

    /// - Parameters:
    ///   - status: The HTTP status (4xx for the client's mistakes).
    ///   - code: A stable code.
    ///   - message: A sentence naming what is wrong.
    ///   - field: The field or parameter at fault.
    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: String] = ["code": self.code, "message": self.message, "request_id": context.id]
        if let field = self.field { body["field"] = field }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(["error": body])
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if let seconds = self.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
