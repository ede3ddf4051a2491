import Foundation
import NIOHTTP1

extension ArbiterServer {
    /// A signed-in console session: its cookie and the CSRF token its forms carry.
    public struct ConsoleSession: Sendable {
        public let cookie: String
        public let csrf: String

        /// `Cookie` for a request in this session.
        public var header: (String, String) { ("Cookie", self.cookie) }
    }

    /// Signs in to the console with `token` as a browser does (the form and its cookie).
    /// - Returns: The session, or `nil` when the sign-in is refused.
    public func consoleSignIn(_ token: String) async throws -> ConsoleSession? {
        let form = try await HTTPProbe.get(self.baseURL + "/console/login")
        guard let signIn = Self.cookie(form, "arbiter_sign_in"), let csrf = Self.field(form.text, "csrf") else {
            throw TestingError("the sign-in page has no form: \(form.status) \(form.text.prefix(200))")
        }
        let body = "token=\(Self.encode(token))&csrf=\(Self.encode(csrf))&next=%2Fconsole"
        let answer = try await HTTPProbe.send(
            self.baseURL + "/console/login", method: .POST,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", "arbiter_sign_in=\(signIn)")], body: Array(body.utf8))
        guard answer.status == 303, let session = Self.cookie(answer, "arbiter_session"), !session.isEmpty else { return nil }
        let page = try await HTTPProbe.get(self.baseURL + "/console", headers: [("Cookie", "arbiter_session=\(session)")])
        guard let token = Self.field(page.text, "csrf") else { throw TestingError("the console's first page has no form: \(page.status)") }
        return ConsoleSession(cookie: "arbiter_session=\(session)", csrf: token)
    }

    /// POSTs a console form in `session` (with its CSRF token unless `csrf` says otherwise).
    public func consolePost(_ path: String, _ session: ConsoleSession?, fields: [(String, String)] = [], csrf: String? = nil) async throws
        -> HTTPProbe.Response
    {
        let all = fields + [("csrf", csrf ?? session?.csrf ?? "")]
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let session { headers.append(session.header) }
        return try await HTTPProbe.send(self.baseURL + path, method: .POST, headers: headers, body: Array(body.utf8))
    }

    /// GETs a console page in `session`.
    public func consoleGet(_ path: String, _ session: ConsoleSession?) async throws -> HTTPProbe.Response {
        try await HTTPProbe.get(self.baseURL + path, headers: session.map { [$0.header] } ?? [])
    }

    static func cookie(_ response: HTTPProbe.Response, _ name: String) -> String? {
        for header in response.headers["Set-Cookie"] where header.hasPrefix(name + "=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    /// The value of the first hidden input called `name`.
    static func field(_ html: String, _ name: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
