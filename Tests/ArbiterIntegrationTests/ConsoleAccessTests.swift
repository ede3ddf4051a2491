import ArbiterHTTP
import ArbiterTesting
import Foundation
import JWTKit
import NIOHTTP1
import Testing

/// The console's routes × every role, on a real server, with sessions signed in through the form:
/// a page or form the role may use answers, one it may not is refused (403) whatever the page sent,
/// a form without the session's CSRF token is refused, and without a live session a page sends the
/// browser to sign in and a form is refused (401). The console follows the API's permissions.
@Suite struct ConsoleAccessTests {
    /// Route → the roles allowed; `*` needs no session.
    static let expected: [String: String] = [
        "GET /console/assets/{name}": "*",
        "GET /console/login": "*",
        "POST /console/login": "*",
        "POST /console/logout": "admin operator submitter viewer",
        "GET /console": "admin operator submitter viewer",
        "GET /console/jobs": "admin operator submitter viewer",
        "GET /console/jobs/{id}": "admin operator submitter viewer",
        "GET /console/jobs/{id}/artifacts/{name}": "admin operator submitter viewer",
        "POST /console/jobs/{id}/retry": "admin operator",
        "POST /console/jobs/{id}/cancel": "admin operator submitter",
        "GET /console/jobs/retry-matching": "admin operator",
        "POST /console/jobs/retry-matching": "admin operator",
        "GET /console/jobs/cancel-matching": "admin operator submitter",
        "POST /console/jobs/cancel-matching": "admin operator submitter",
        "GET /console/workers": "admin operator submitter viewer",
        "POST /console/workers/{id}/drain": "admin operator",
        "POST /console/workers/{id}/remove": "admin operator",
        "GET /console/alerts": "admin operator submitter viewer",
        "GET /console/actions": "admin operator submitter viewer",
        "POST /console/actions/breakers/{type}": "admin operator",
        "POST /console/actions/silences": "admin operator",
        "GET /console/capacity": "admin operator submitter viewer",
        "GET /console/consents": "admin operator submitter",
        "GET /console/audit": "admin operator",
        "GET /console/dashboards": "admin operator submitter viewer",
        "GET /console/dashboards/{uid}": "admin operator submitter viewer",
    ]

    @Test func theServersConsoleMatrixIsTheDocumentedOne() {
        #expect(Set(AccessMatrix.routes.keys.filter { $0.contains(" /console") }) == Set(Self.expected.keys))
    }

    @Test func everyConsoleRouteAnswersEveryRoleAsDocumented() async throws {
        try await ArbiterServer.with(config: "auth: {lockout: {failures: 100000}}") { server in
            var sessions: [String: ArbiterServer.ConsoleSession?] = ["none": nil]
            sessions["admin"] = try await server.consoleSignIn(server.adminToken)
            for role in ["operator", "submitter", "viewer"] {
                sessions[role] = try await server.consoleSignIn(try await server.createToken(name: role, role: role))
                #expect(sessions[role] != nil, "\(role) signs in")
            }
            // A worker token cannot open a session; a revoked token's session ends at its next request.
            let worker = try await server.consoleSignIn(try await server.createToken(name: "w", role: "worker", workerID: "w"))
            #expect(worker == nil)
            let gone = try await server.createToken(name: "gone", role: "admin")
            sessions["revoked"] = try await server.consoleSignIn(gone)
            let list = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/tokens").body)) as? [String: Any]
            let goneID = try #require((list?["tokens"] as? [[String: Any]])?.first { $0["name"] as? String == "gone" }?["id"] as? String)
            #expect(try await server.send("/api/v1/tokens/\(goneID)", method: .DELETE).status == 200)

            for (route, allowed) in Self.expected.sorted(by: { $0.key < $1.key }) where allowed != "*" && route != "POST /console/logout" {
                let parts = route.split(separator: " ")
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "nothing").replacingOccurrences(of: "{type}", with: "t")
                    .replacingOccurrences(of: "{uid}", with: "arbiter-overview").replacingOccurrences(of: "{name}", with: "shot.png")
                let query = route.contains("-matching") ? "?state=" + (route.contains("retry") ? "dead" : "queued") : ""
                for (caller, session) in sessions.sorted(by: { $0.key < $1.key }) {
                    let cell = "\(route) as \(caller)"
                    let post = parts[0] == "POST"
                    let fields = [("state", route.contains("retry") ? "dead" : "queued"), ("action", "pause"), ("duration", "1m")]
                    let response = post
                        ? try await server.consolePost(path, session, fields: fields) : try await server.consoleGet(path + query, session)
                    if caller == "none" || caller == "revoked" {
                        #expect(response.status == (post ? 401 : 303), "\(cell): \(response.status)")
                        if !post { #expect(response.header("Location")?.hasPrefix("/console/login?next=") == true, "\(cell) goes to sign in") }
                    } else if allowed.split(separator: " ").contains(Substring(caller)) {
                        #expect([200, 303, 404].contains(response.status), "\(cell): \(response.status) \(response.text.prefix(200))")
                    } else {
                        #expect(response.status == 403, "\(cell): \(response.status)")
                    }
                    if post, let session, caller != "revoked" {
                        let forged = try await server.consolePost(path, session, fields: fields, csrf: "forged")
                        #expect(forged.status == 403, "\(cell) without its CSRF token: \(forged.status)")
                    }
                }
            }
            // The open routes, and signing out.
            #expect(try await server.consoleGet("/console/assets/console.css", nil).status == 200)
            #expect(try await server.consoleGet("/console/login", nil).status == 200)
            let viewer = try #require(sessions["viewer"] ?? nil)
            #expect(try await server.consolePost("/console/logout", viewer).status == 303)
            #expect(try await server.consoleGet("/console", viewer).status == 303)
        }
    }
}

/// A JWT signs in as a token does, and its session ends when the JWT expires.
@Suite struct ConsoleJWTSessionTests {
    @Test func aJWTSessionEndsWhenTheJWTExpires() async throws {
        let config = """
            auth:
              lockout: {failures: 100000}
              jwt: {hs256_secret: "\(AccessMatrixTests.secret)"}
            """
        try await ArbiterServer.with(config: config) { server in
            let keys = await JWTKeyCollection().add(hmac: HMACKey(from: AccessMatrixTests.secret), digestAlgorithm: .sha256)
            // Long enough for the sign-in and a page on a loaded machine; the session must end at it.
            let expires = Date(timeIntervalSinceNow: 30)
            let jwt = try await keys.sign(AccessMatrixTests.Claims(exp: .init(value: expires), sub: "ops", role: "operator"))
            let session = try #require(try await server.consoleSignIn(jwt))
            let page = try await server.consoleGet("/console/jobs", session)
            #expect(page.status == 200 && page.text.contains("jwt:ops · operator"))
            // The audit log names the JWT's subject for the sign-in.
            let audit = try await server.get("/api/v1/audit?action=console.signed_in")
            #expect(audit.text.contains("jwt:ops"))
            try await Polling.until("the session ends with its JWT", timeout: .seconds(90), interval: .milliseconds(250)) {
                try await server.consoleGet("/console/jobs", session).status == 303
            }
            #expect(Date() >= expires, "not before the JWT expired")
        }
    }
}

/// A change made from the console is the scheduler's, audited under the signed-in token's actor.
@Suite struct ConsoleAuditTests {
    @Test func aCancelFromTheConsoleIsAuditedUnderTheTokensActor() async throws {
        try await ArbiterServer.with(config: "auth: {lockout: {failures: 100000}}") { server in
            let session = try #require(try await server.consoleSignIn(try await server.createToken(name: "ops-desk", role: "operator")))
            let submitted = try await server.post("/api/v1/jobs", json: #"{"type":"t","payload":{"x":1}}"#)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)
            let answer = try await server.consolePost("/console/jobs/\(id)/cancel", session)
            #expect(answer.status == 303 && answer.header("Location")?.contains("done=") == true, "\(answer.status) \(answer.header("Location") ?? "")")
            let job = try await server.get("/api/v1/jobs/\(id)")
            #expect(job.text.contains(#""state":"cancelled""#))
            let audit = try await server.get("/api/v1/audit?subject_type=job&subject_id=\(id)&action=job.cancelled")
            let entries = (try JSONSerialization.jsonObject(with: Data(audit.body)) as? [String: Any])?["entries"] as? [[String: Any]] ?? []
            #expect(entries.count == 1 && entries.first?["actor"] as? String == "token:ops-desk", "\(audit.text)")
        }
    }
}
