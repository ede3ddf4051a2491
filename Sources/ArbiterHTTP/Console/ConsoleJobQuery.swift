import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes

/// The job list's filters as the console's forms and links carry them (`q`, `state`, `type`,
/// `user_id`, `tag`, `dry_run`, `created_after`, `created_before`), shared by the list, the "all matching"
/// confirmation and the action itself, so that all three mean the same jobs.
struct ConsoleJobQuery {
    static let fields = ["q", "state", "type", "user_id", "tag", "dry_run", "created_after", "created_before"]

    var values: [String: String]
    var filter = JobFilter()

    /// - Throws: ``APIError`` naming the field that cannot be read.
    init(_ fields: [String: String]) throws {
        self.values = fields.filter { Self.fields.contains($0.key) && !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }
            .mapValues { $0.trimmingCharacters(in: .whitespaces) }
        for (name, value) in self.values where value.utf8.count > 1024 {
            throw APIError(.badRequest, code: "invalid_parameter", message: "\(name) is longer than 1024 bytes", field: name)
        }
        if let state = self.values["state"] {
            guard let parsed = JobState(rawValue: state) else {
                throw APIError(
                    .badRequest, code: "invalid_parameter", message: "state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: "state")
            }
            self.filter.state = parsed
        }
        self.filter.search = self.values["q"]
        self.filter.type = self.values["type"]
        self.filter.userID = self.values["user_id"]
        self.filter.tag = self.values["tag"]
        self.filter.dryRun = try APIRequest.flag(self.values["dry_run"], name: "dry_run")
        self.filter.createdAfter = try Self.time(self.values["created_after"], name: "created_after")
        self.filter.createdBefore = try Self.time(self.values["created_before"], name: "created_before")
    }

    /// RFC 3339, or a browser's `datetime-local` value (`2026-12-06T10:30`), read as UTC.
    static func time(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        var candidates = [text]
        if text.count == 16 { candidates.append(text + ":00Z") } else if text.count == 19 { candidates.append(text + "Z") }
        for candidate in candidates {
            if let value = try? RFC3339.milliseconds(from: candidate) { return value }
        }
        throw APIError(.badRequest, code: "invalid_parameter", message: "\(name) must be a time such as 2026-12-06T10:30:00Z", field: name)
    }

    /// The filters as a query string (without `?`).
    var query: String {
        ConsoleRequest.queryString(Self.fields.map { ($0, self.values[$0]) })
    }

    /// The filters in words, for the confirmation.
    var summary: String {
        let parts = Self.fields.compactMap { name in self.values[name].map { "\(name) = \($0)" } }
        return parts.isEmpty ? "every job" : parts.joined(separator: ", ")
    }

    /// The filters as hidden form fields.
    var hiddenFields: Markup {
        Markup(raw: Self.fields.compactMap { name in self.values[name].map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(Markup.escape($0))\">" } }.joined())
    }
}
