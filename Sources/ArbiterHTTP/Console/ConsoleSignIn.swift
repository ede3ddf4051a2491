import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `GET/POST /console/login` and `POST /console/logout`: an API token or a JWT becomes a session
/// cookie. Failed sign-ins count towards the client's authentication lockout, as failed API calls do.
struct ConsoleSignIn: Sendable {
    let sessions: ConsoleSessions
    let authenticator: Authenticator
    let lockout: AuthLockout
    let audit: any AuditStore
    let clock: any TimeSource
    let secureCookies: Bool
    let logger: Logger

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/console/login") { request, _ in
            self.page(next: ConsoleRequest.query(request)["next"], error: nil)
        }
        router.post("/console/login") { request, context in try await self.signIn(request, context) }
        router.post("/console/logout") { _, context in
            if let session = context.consoleSession { self.sessions.end(id: session.id) }
            self.logger.info("console session signed out", metadata: ["actor": "\(context.principal?.actor ?? "")"])
            return ConsoleRequest.redirect(
                "/console/login", cookies: [ConsoleRequest.cookie(ConsoleRequest.sessionCookie, "", maxAge: .zero, secure: self.secureCookies)])
        }
    }

    private func page(next: String?, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let csrf = ConsoleSessions.randomID()
        let problem: Markup = error.map { "<p class=\"notice bad\" role=\"alert\" data-testid=\"sign-in-error\">\($0)</p>" } ?? .empty
        return ConsoleRequest.html(
            """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in · Arbiter</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console/assets/console.css">
            <script src="/console/assets/console.js" defer></script></head>
            <body><main class="signin"><h1>Arbiter console</h1>\(problem)
            <form method="post" action="/console/login">
            <input type="hidden" name="csrf" value="\(csrf)"><input type="hidden" name="next" value="\(ConsoleRequest.safeNext(next))">
            <p><label for="token">API token or JWT</label><br>
            <input id="token" name="token" type="password" autocomplete="off" required autofocus></p>
            <p><button type="submit" class="primary">Sign in</button></p></form>
            <p class="muted">Create a token with <code>arbiter token create --role viewer</code>. The role decides what the console shows and allows.</p>
            </main></body></html>
            """, status: status,
            cookies: [ConsoleRequest.cookie(ConsoleRequest.signInCookie, csrf, maxAge: .seconds(3600), secure: self.secureCookies)])
    }

    private func signIn(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: ConsoleRequest.maxFormBytes)
        let form = ConsoleRequest.form(Substring(String(buffer: body)))
        let next = form["next"]
        guard let expected = ConsoleRequest.cookies(request)[ConsoleRequest.signInCookie], let sent = form["csrf"],
            AccessMiddleware.same(expected, sent)
        else {
            try? self.sessions.signIns.labels("failure").increment()
            return self.page(next: next, error: "The sign-in form expired; enter the token again.", status: .forbidden)
        }
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if let wait = self.lockout.retryAfter(address) {
            return self.page(next: next, error: "Too many failed attempts from this address; retry in \(max(1, wait.components.seconds)) s.", status: .tooManyRequests)
        }
        let credential = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !credential.isEmpty else { return self.page(next: next, error: "Enter an API token or a JWT (field token).", status: .badRequest) }
        let principal: Principal
        switch await self.authenticator.authenticate(credential) {
        case .success(let found):
            principal = found
        case .failure(let failure) where failure.reason == "store_error":
            return self.page(next: next, error: "The token could not be checked: the store cannot be reached. Retry shortly.", status: .serviceUnavailable)
        case .failure(let failure):
            try? self.sessions.signIns.labels("failure").increment()
            _ = self.lockout.recordFailure(address)
            self.logger.info("console sign-in refused", metadata: ["reason": "\(failure.reason)", "client": "\(address)"])
            return self.page(next: next, error: "Sign-in refused: \(failure.message).", status: .unauthorized)
        }
        self.lockout.recordSuccess(address)
        guard principal.may(.read) else {
            try? self.sessions.signIns.labels("failure").increment()
            return self.page(next: next, error: "Role \(principal.role.rawValue) cannot use the console (it needs the read permission).", status: .forbidden)
        }
        let session = self.sessions.open(credential: credential)
        try await AuditActor.$current.withValue(principal.actor) {
            try await self.audit.recordAuditEvent(
                action: "console.signed_in", subjectType: "console_session", subjectID: principal.actor, details: [("role", principal.role.rawValue)],
                now: self.clock.nowMilliseconds())
        }
        try? self.sessions.signIns.labels("success").increment()
        self.logger.info("console session opened", metadata: ["actor": "\(principal.actor)", "role": "\(principal.role.rawValue)"])
        return ConsoleRequest.redirect(
            ConsoleRequest.safeNext(next),
            cookies: [
                ConsoleRequest.cookie(ConsoleRequest.sessionCookie, session.id, maxAge: self.sessions.lifetime, secure: self.secureCookies),
                ConsoleRequest.cookie(ConsoleRequest.signInCookie, "", maxAge: .zero, secure: self.secureCookies),
            ])
    }
}
