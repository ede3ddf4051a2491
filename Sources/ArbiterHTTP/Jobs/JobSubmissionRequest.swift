import ArbiterCore
import ArbiterJobs
import Crypto
import Foundation
import HTTPTypes

/// `POST /api/v1/jobs`'s body, checked field by field so every refusal names the field at fault.
struct JobSubmissionRequest {
    static let fields: Set<String> = [
        "type", "payload", "priority", "run_at", "delay", "max_attempts", "backoff", "timeout", "idempotency_key", "user_id", "tags",
        "dry_run",
    ]

    /// Parses and checks a body into a submission, with the job type's policy filling the gaps.
    /// - Throws: ``APIError`` (400, or 413 for a payload over the limit).
    static func parse(_ body: [UInt8], policies: [String: JobTypePolicy], limits: JobLimits, now: Int64) throws -> JobSubmission {
        guard let object = try APIRequest.parse(body) as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        return try self.parse(object, policies: policies, limits: limits, now: now, field: { $0 })
    }

    /// Checks one job object; `field` prefixes field names (`jobs[3].type` in a batch).
    static func parse(
        _ object: [String: Any], policies: [String: JobTypePolicy], limits: JobLimits, now: Int64, field: (String) -> String
    ) throws -> JobSubmission {
        try APIRequest.refuseUnknown(object, fields: self.fields, of: "job", name: field)
        guard let type = object["type"] as? String else {
            throw APIError(.badRequest, code: "invalid_field", message: "\(field("type")) is required and must be a string", field: field("type"))
        }
        guard JobTypeName.isValid(type) else {
            throw APIError(.badRequest, code: "invalid_field", message: "\(field("type")) must hold \(JobTypeName.rule)", field: field("type"))
        }
        guard let payloadValue = object["payload"] else {
            throw APIError(.badRequest, code: "invalid_field", message: "\(field("payload")) is required (any JSON value)", field: field("payload"))
        }
        let payload = JSONWriter.string(payloadValue)
        guard payload.utf8.count <= limits.maxPayloadBytes else {
            throw APIError(
                .contentTooLarge, code: "payload_too_large",
                message: "\(field("payload")) is \(payload.utf8.count) bytes; the limit is \(limits.maxPayloadBytes)", field: field("payload"))
        }
        let policy = policies[type] ?? JobTypePolicy()
        var retry = policy.retry
        if let value = object["max_attempts"] {
            guard let attempts = self.integer(value), (1...1000).contains(attempts) else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field("max_attempts")) must be a whole number from 1 to 1000", field: field("max_attempts"))
            }
            retry.maxAttempts = attempts
        }
        if let value = object["timeout"] {
            retry.timeout = try self.duration(value, name: field("timeout"), allowZero: false)
        }
        if let value = object["backoff"] {
            guard let backoff = value as? [String: Any], Set(backoff.keys).isSubset(of: ["initial", "max"]) else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field("backoff")) must be an object with initial and max", field: field("backoff"))
            }
            if let initial = backoff["initial"] { retry.initialBackoff = try self.duration(initial, name: field("backoff.initial"), allowZero: true) }
            if let max = backoff["max"] { retry.maxBackoff = try self.duration(max, name: field("backoff.max"), allowZero: true) }
            guard retry.initialBackoff <= retry.maxBackoff else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field("backoff")).initial is longer than its max", field: field("backoff"))
            }
        }
        var priority = 0
        if let value = object["priority"] {
            guard let number = self.integer(value), (-1_000_000...1_000_000).contains(number) else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field("priority")) must be a whole number from -1000000 to 1000000", field: field("priority"))
            }
            priority = number
        }
        var runAt = now
        switch (object["run_at"], object["delay"]) {
        case (.some, .some):
            throw APIError(.badRequest, code: "invalid_field", message: "give \(field("run_at")) or \(field("delay")), not both", field: field("delay"))
        case (.some(let value), nil):
            guard let text = value as? String else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field("run_at")) must be an RFC 3339 timestamp such as 2026-11-24T12:00:00Z", field: field("run_at"))
            }
            runAt = try Self.parseTimestamp(text, name: field("run_at"))
        case (nil, .some(let value)):
            let delay = try self.duration(value, name: field("delay"), allowZero: true)
            runAt = now + delay.wholeMilliseconds
        case (nil, nil):
            break
        }
        let key = try self.optionalString(object["idempotency_key"], name: field("idempotency_key"), maxBytes: 255)
        let userID = try self.optionalString(object["user_id"], name: field("user_id"), maxBytes: 255)
        if let scope = policy.requiresConsent, userID == nil {
            throw APIError(
                .badRequest, code: "missing_field",
                message: "\(field("user_id")) is required: job type \(type) acts for a user and needs their consent for scope \(scope)",
                field: field("user_id"))
        }
        var tags: [String] = []
        if let value = object["tags"] {
            guard let list = value as? [String], list.count <= 32, list.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 128 && !$0.utf8.contains(0) }) else {
                throw APIError(
                    .badRequest, code: "invalid_field",
                    message: "\(field("tags")) must be a list of up to 32 non-empty strings of at most 128 bytes without U+0000", field: field("tags"))
            }
            tags = list
        }
        var dryRun = policy.dryRun
        if let value = object["dry_run"] {
            guard let flag = value as? NSNumber, String(cString: flag.objCType) == "c" else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field("dry_run")) must be true or false", field: field("dry_run"))
            }
            // A type marked dry_run runs nothing for real: a job cannot ask out of it.
            dryRun = dryRun || flag.boolValue
        }
        // The same key with a different request is a conflict; the digest covers every field as sent.
        let digest = Self.hex(SHA256.hash(data: JSONWriter.bytes(object)))
        return JobSubmission(
            type: type, payload: payload, priority: priority, runAt: runAt, retry: retry, idempotencyKey: key, requestHash: digest,
            userID: userID, consentScope: policy.requiresConsent, tags: tags, dryRun: dryRun)
    }

    private static func integer(_ value: Any) -> Int? {
        guard let number = self.number(value) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 1e15 else { return nil }
        return Int(double)
    }

    /// A JSON number that is not a boolean (Foundation gives both as `NSNumber`; booleans have type `c`).
    private static func number(_ value: Any) -> NSNumber? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        return number
    }

    /// A duration as a Prometheus duration string (`30s`) or a number of seconds.
    private static func duration(_ value: Any, name: String, allowZero: Bool) throws -> Duration {
        var result: Duration?
        if let text = value as? String {
            result = PrometheusDuration.parse(text)
        } else if let number = self.number(value), number.doubleValue >= 0, number.doubleValue < 1e9 {
            result = .milliseconds(Int64((number.doubleValue * 1000).rounded()))
        }
        guard let result, result >= .zero, allowZero || result > .zero else {
            throw APIError(.badRequest, code: "invalid_field", message: "\(name) must be a duration such as \"30s\" or a number of seconds\(allowZero ? "" : " above 0"), at most 292 years", field: name)
        }
        return result
    }

    private static func optionalString(_ value: Any?, name: String, maxBytes: Int) throws -> String? {
        guard let value else { return nil }
        // No U+0000: an identifier is text every store keeps as text (PostgreSQL's cannot hold NUL).
        guard let text = value as? String, !text.isEmpty, text.utf8.count <= maxBytes, !text.utf8.contains(0) else {
            throw APIError(
                .badRequest, code: "invalid_field", message: "\(name) must be a non-empty string of at most \(maxBytes) bytes without U+0000",
                field: name)
        }
        return text
    }

    /// A body field's RFC 3339 timestamp as Unix ms, strictly (``RFC3339/milliseconds(from:)``): a day
    /// that does not exist or a year past 9999 is refused, never moved to a nearby instant.
    /// - Throws: ``APIError`` 400 `invalid_field` naming the field and what is wrong with it.
    static func parseTimestamp(_ text: String, name: String) throws -> Int64 {
        do {
            return try RFC3339.milliseconds(from: text)
        } catch {
            throw APIError(
                .badRequest, code: "invalid_field", message: "\(name) must be an RFC 3339 timestamp such as 2026-11-24T12:00:00Z: \(error)",
                field: name)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in digest {
            out.append(self.hexDigits[Int(byte >> 4)])
            out.append(self.hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
