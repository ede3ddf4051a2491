import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What the console reads from a request and how it answers: cookies, forms, redirects, pages.
enum ConsoleRequest {
    static let sessionCookie = "arbiter_session"
    /// The sign-in form's own CSRF token, as a cookie the form repeats (no session exists yet).
    static let signInCookie = "arbiter_sign_in"
    /// The largest form the console accepts.
    static let maxFormBytes = 64 * 1024

    /// The request's cookies (the last of a repeated name wins).
    static func cookies(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for field in request.headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                cookies[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return cookies
    }

    /// An `application/x-www-form-urlencoded` body (or query string) as fields; a repeated field keeps its last value.
    static func form(_ text: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in FormParameters.decode(String(text)) where !name.isEmpty { fields[name] = value }
        return fields
    }

    /// The request's query parameters, decoded.
    static func query(_ request: Request) -> [String: String] {
        self.form(Substring(request.uri.query ?? ""))
    }

    /// `Set-Cookie` for a console cookie: HttpOnly, SameSite=Strict, limited to `/console`, Secure under TLS.
    static func cookie(_ name: String, _ value: String, maxAge: Duration, secure: Bool) -> String {
        "\(name)=\(value); Path=/console; Max-Age=\(max(0, maxAge.components.seconds)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// 303 to `location` (after a form, or to the sign-in page).
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A console page or fragment: no caching, no framing, nothing loaded from elsewhere.
    static func html(_ markup: Markup, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: markup.text)))
    }

    /// Where to go after signing in: a console path only (never another site).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/console"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains("\r"), !next.contains("\n")
        else { return "/console" }
        return next
    }

    /// The path and query of `request`, for coming back to it.
    static func here(_ request: Request) -> String {
        request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
    }

    /// Percent-encodes a query value.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `name=value&…` of the non-empty pairs.
    static func queryString(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : "\(name)=\(self.encode($0))" } }.joined(separator: "&")
    }
}
