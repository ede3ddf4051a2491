import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird

/// The console's frame: the sections a role may see, who is signed in, and the page's own content.
/// A request with `X-Console-Fragment` (the overview's refresh) gets the content alone.
struct ConsolePage {
    enum Section: String, CaseIterable {
        case overview, jobs, workers, alerts, actions, capacity, consents, audit, dashboards

        var title: String {
            switch self {
            case .overview: "Overview"
            case .jobs: "Jobs"
            case .workers: "Workers"
            case .alerts: "Alerts and rules"
            case .actions: "Actions"
            case .capacity: "Capacity"
            case .consents: "Consents"
            case .audit: "Audit"
            case .dashboards: "Dashboards"
            }
        }

        var path: String { self == .overview ? "/console" : "/console/\(self.rawValue)" }

        var permission: Permission {
            switch self {
            case .consents: .consent
            case .audit: .audit
            default: .read
            }
        }
    }

    /// Who is looking, and the CSRF token their forms carry.
    struct Viewer {
        let principal: Principal
        let csrf: String

        init(_ context: ArbiterRequestContext) throws {
            guard let principal = context.principal, let session = context.consoleSession else {
                throw APIError(.unauthorized, code: "unauthenticated", message: "sign in to the console first")
            }
            self.principal = principal
            self.csrf = session.csrf
        }

        func may(_ permission: Permission) -> Bool { self.principal.may(permission) }

        /// A button that POSTs to `action` with the CSRF token and `fields`; nothing when the role may not.
        func button(
            _ label: String, to action: String, needs permission: Permission, fields: [(String, String)] = [], style: String = "", testID: String? = nil
        ) -> Markup {
            guard self.may(permission) else { return .empty }
            let hidden = fields.map { name, value -> Markup in "<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">" }
            let id: Markup = testID.map { " data-testid=\"\($0)\"" } ?? .empty
            return """
                <form class="inline" method="post" action="\(action)"><input type="hidden" name="csrf" value="\(self.csrf)">\(hidden)\
                <button type="submit" class="\(style)"\(id)>\(label)</button></form>
                """
        }

        /// The hidden CSRF field, for forms built by hand.
        var csrfField: Markup { "<input type=\"hidden\" name=\"csrf\" value=\"\(self.csrf)\">" }
    }

    let section: Section
    let title: String
    let viewer: Viewer
    var notice: Markup = .empty
    /// How often the content refreshes itself, in milliseconds (none when nil).
    var refresh: Int?

    func render(_ content: Markup, request: Request, status: HTTPResponse.Status = .ok) -> Response {
        if request.headers[HTTPField.Name("X-Console-Fragment")!] != nil { return ConsoleRequest.html(content, status: status) }
        let links = Section.allCases.filter { self.viewer.may($0.permission) }.map { section -> Markup in
            let current: Markup = section == self.section ? " aria-current=\"page\"" : .empty
            return "<li><a href=\"\(section.path)\"\(current)>\(section.title)</a></li>"
        }
        let refresh: Markup = self.refresh.map { " data-refresh=\"\($0)\"" } ?? .empty
        return ConsoleRequest.html(
            """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(self.title) · Arbiter</title>
            <link rel="icon" href="data:,"><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script></head>
            <body><header><span class="brand">Arbiter</span>
            <nav aria-label="Sections"><ul>\(links)</ul></nav>
            <div class="who"><span data-testid="who">\(self.viewer.principal.actor) · \(self.viewer.principal.role.rawValue)</span>
            <button type="button" data-theme-toggle aria-label="Switch light or dark">◐</button>
            \(self.viewer.button("Sign out", to: "/console/logout", needs: .read))</div></header>
            \(self.notice)<main id="content"\(refresh)>\(content)</main></body></html>
            """, status: status)
    }

    /// A notice from the `done` / `error` query parameters a form's redirect carries.
    static func notice(_ request: Request) -> Markup {
        let query = ConsoleRequest.query(request)
        if let error = query["error"] { return "<p class=\"notice bad\" role=\"alert\">\(error)</p>" }
        if let done = query["done"] { return "<p class=\"notice ok\" role=\"status\">\(done)</p>" }
        return .empty
    }
}

/// How the console writes times, numbers and states.
enum ConsoleFormat {
    static func time(_ milliseconds: Int64?) -> Markup {
        guard let milliseconds else { return "<span class=\"muted\">–</span>" }
        let text = RFC3339.format(milliseconds: milliseconds)
        return "<time datetime=\"\(text)\">\(text.replacingOccurrences(of: "T", with: " "))</time>"
    }

    static func age(_ milliseconds: Int64?, now: Int64) -> String {
        guard let milliseconds else { return "–" }
        return self.duration(seconds: Double(max(0, now - milliseconds)) / 1000)
    }

    static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "–" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        if seconds < 7200 { return "\(Int(seconds / 60)) min" }
        if seconds < 172_800 { return String(format: "%.1f h", seconds / 3600) }
        return String(format: "%.1f d", seconds / 86400)
    }

    static func number(_ value: Double?, digits: Int = 2) -> String {
        guard let value, value.isFinite else { return "–" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.\(digits)f", value)
    }

    static func state(_ name: String) -> Markup {
        "<span class=\"chip s-\(name)\">\(name.replacingOccurrences(of: "_", with: " "))</span>"
    }
}
