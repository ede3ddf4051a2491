import ArbiterJobs
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The console's side of ``AccessMiddleware``: a session cookie instead of a bearer header.
extension AccessMiddleware {
    func console(
        _ permission: Permission, _ request: Request, _ context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let sessions = self.sessions else {
            throw APIError(.notFound, code: "not_found", message: "the console is not served by this daemon")
        }
        guard let id = ConsoleRequest.cookies(request)[ConsoleRequest.sessionCookie], let session = sessions.session(id: id) else {
            return try self.signedOut(request, reason: "no_session")
        }
        // The credential is checked again (cached for a few seconds): revoked or expired, the session ends.
        let principal: Principal
        switch await self.authenticator.authenticate(session.credential) {
        case .success(let found):
            principal = found
        case .failure(let failure) where failure.reason == "store_error":
            var answer = APIError(.serviceUnavailable, code: "store_unavailable", message: "the session could not be checked because the store cannot be reached")
            answer.retryAfterSeconds = 1
            throw answer
        case .failure(let failure):
            sessions.end(id: session.id)
            self.logger.info("console session ended: its credential no longer holds", metadata: ["reason": "\(failure.reason)"])
            return try self.signedOut(request, reason: failure.reason)
        }
        guard principal.may(permission) else {
            self.count("forbidden")
            throw APIError(
                .forbidden, code: "forbidden", message: "role \(principal.role.rawValue) does not have the \(permission.rawValue) permission this page needs")
        }
        var request = request
        var context = context
        if request.method != .get && request.method != .head {
            let body = try await request.collectBody(upTo: ConsoleRequest.maxFormBytes)
            let form = ConsoleRequest.form(Substring(String(buffer: body)))
            guard let token = form["csrf"], Self.same(token, session.csrf) else {
                self.count("csrf")
                self.logger.warning("console form refused: no valid CSRF token", metadata: ["actor": "\(principal.actor)", "path": "\(request.uri.path)"])
                throw APIError(
                    .forbidden, code: "csrf_invalid", message: "the form's csrf field is missing or is not this session's; reload the page and try again",
                    field: "csrf")
            }
            context.consoleForm = form
        }
        context.principal = principal
        context.consoleSession = session
        return try await AuditActor.$current.withValue(principal.actor) { try await next(request, context) }
    }

    /// No session: a page sends the browser to sign in; anything else is refused.
    private func signedOut(_ request: Request, reason: String) throws -> Response {
        self.count(reason == "no_session" ? "no_session" : reason)
        guard request.method == .get else {
            throw APIError(.unauthorized, code: "unauthenticated", message: "sign in to the console first (no live session)")
        }
        let clear = ConsoleRequest.cookie(ConsoleRequest.sessionCookie, "", maxAge: .zero, secure: false)
        return ConsoleRequest.redirect("/console/login?next=" + ConsoleRequest.encode(ConsoleRequest.here(request)), cookies: [clear])
    }

    /// Compares two tokens in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let left = Array(SHA256.hash(data: Array(a.utf8)))
        let right = Array(SHA256.hash(data: Array(b.utf8)))
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
