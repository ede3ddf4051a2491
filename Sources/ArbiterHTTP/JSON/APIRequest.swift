import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What every endpoint does the same way: read a bounded body, parse a JSON object, read paging and
/// time parameters, turn store refusals into API errors, answer JSON.
enum APIRequest {
    /// The body, at most `limit` bytes (413 beyond).
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body is larger than the limit of \(limit) bytes")
        }
    }

    /// The body as a JSON object (400 `invalid_json` otherwise).
    static func object(_ request: Request, limit: Int) async throws -> [String: Any] {
        let body = try await self.body(request, limit: limit)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        return object
    }

    /// The body as a JSON object holding no field but `fields` (400 `unknown_field` naming the first
    /// other one, so a misspelt field is never quietly ignored).
    static func object(_ request: Request, limit: Int, fields: Set<String>, of noun: String) async throws -> [String: Any] {
        let object = try await self.object(request, limit: limit)
        try self.refuseUnknown(object, fields: fields, of: noun)
        return object
    }

    /// 400 `unknown_field` naming the first field of `object` outside `fields`; `name` makes the
    /// name the error gives it (`jobs[2].tpye`).
    static func refuseUnknown(_ object: [String: Any], fields: Set<String>, of noun: String, name: (String) -> String = { $0 }) throws {
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw APIError(.badRequest, code: "unknown_field", message: "\(name(unknown)) is not a \(noun) field", field: name(unknown))
        }
    }

    /// An RFC 3339 query parameter as Unix ms.
    static func timestamp(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let date = JobSubmissionRequest.parseTimestamp(text) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "\(name) must be an RFC 3339 timestamp", field: name)
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `limit`: 1 to 1000, 100 by default.
    static func pageLimit(_ query: Parameters) throws -> Int {
        guard let text = query.get("limit") else { return 100 }
        guard let value = Int(text), (1...1000).contains(value) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "limit must be a whole number from 1 to 1000", field: "limit")
        }
        return value
    }

    /// A required non-empty string field of at most `maxBytes` bytes.
    static func string(_ object: [String: Any], _ field: String, maxBytes: Int = 256, required: Bool = true) throws -> String? {
        guard let value = object[field], !(value is NSNull) else {
            if required { throw APIError(.badRequest, code: "missing_field", message: "\(field) is required", field: field) }
            return nil
        }
        guard let text = value as? String, !text.isEmpty, text.utf8.count <= maxBytes else {
            throw APIError(.badRequest, code: "invalid_field", message: "\(field) must be a non-empty string of at most \(maxBytes) bytes", field: field)
        }
        return text
    }

    /// Runs a store call, turning its refusals into API errors.
    static func perform<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as JobStoreError {
            throw APIError(error)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) throws -> Response {
        let data = JSONWriter.bytes(object)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
