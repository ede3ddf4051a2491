import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What every endpoint does the same way: read a bounded body, parse a JSON object, read paging and
/// time parameters, turn store refusals into API errors, answer JSON.
enum APIRequest {
    /// The body, at most `limit` bytes (413 beyond; 400 `invalid_body` when its framing is broken,
    /// such as a malformed chunk size, and the connection is then closed).
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body is larger than the limit of \(limit) bytes")
        } catch {
            throw APIError(.badRequest, code: "invalid_body", message: "the request body could not be read: \(error)")
        }
    }

    /// The body as a JSON object (400 `invalid_json` otherwise).
    static func object(_ request: Request, limit: Int) async throws -> [String: Any] {
        let body = try await self.body(request, limit: limit)
        guard let object = try self.parse(body) as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        return object
    }

    /// A JSON body as Foundation's values, once ``StrictJSON`` has found it to be exactly RFC 8259
    /// JSON nested at most ``StrictJSON/defaultMaxDepth`` deep: every body reader goes through here, so
    /// none accepts a trailing comma or a comment, and none recurses past the bound.
    /// - Throws: ``APIError`` 400 `invalid_json` saying what is wrong and at which byte.
    static func parse(_ body: [UInt8]) throws -> Any {
        do {
            try StrictJSON.validate(body)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON: \(error)")
        }
        guard let value = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON")
        }
        return value
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

    /// An RFC 3339 query parameter as Unix ms (strictly: see ``RFC3339/milliseconds(from:)``).
    static func timestamp(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        do {
            return try RFC3339.milliseconds(from: text)
        } catch {
            throw APIError(
                .badRequest, code: "invalid_parameter", message: "\(name) must be an RFC 3339 timestamp such as 2026-11-24T12:00:00Z: \(error)",
                field: name)
        }
    }

    /// A `true`/`false` query parameter (`nil` when absent).
    static func flag(_ text: String?, name: String) throws -> Bool? {
        guard let text else { return nil }
        guard text == "true" || text == "false" else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "\(name) must be true or false", field: name)
        }
        return text == "true"
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
        guard let text = value as? String, !text.isEmpty, text.utf8.count <= maxBytes, !text.utf8.contains(0) else {
            throw APIError(
                .badRequest, code: "invalid_field", message: "\(field) must be a non-empty string of at most \(maxBytes) bytes without U+0000",
                field: field)
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
