import ArbiterTesting
import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// Bearer credentials on a real server: JWTs signed every accepted way, every malformed credential a
/// 401 (never a 500), the lockout after repeated failures, and TLS.
@Suite struct AuthenticationTests {
    static let secret = "an-hs256-secret-of-at-least-32-bytes!"

    struct Claims: JWTPayload {
        var exp: ExpirationClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var iss: IssuerClaim
        var role: String
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    func claims(role: String = "operator", sub: String = "alice", aud: String = "arbiter", iss: String = "idp", expiresIn: TimeInterval = 300) -> Claims {
        Claims(exp: .init(value: Date(timeIntervalSinceNow: expiresIn)), sub: .init(value: sub), aud: .init(value: [aud]), iss: .init(value: iss), role: role)
    }

    func jwtServer(_ body: (ArbiterServer, ES256PrivateKey, Insecure.RSA.PrivateKey) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "jwt")
        defer { directory.remove() }
        let ecKey = ES256PrivateKey()
        let pem = try directory.write("es256.pem", ecKey.publicKey.pemRepresentation)
        let rsaPrivate = directory.file("rsa.pem")
        let rsaPublic = directory.file("rsa.pub.pem")
        for command in [
            ["/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsaPrivate],
            ["/usr/bin/openssl", "pkey", "-in", rsaPrivate, "-pubout", "-out", rsaPublic],
        ] {
            let result = try await Spawn.run(command)
            #expect(result.status == 0, "\(result.output)")
        }
        let rsaKey = try Insecure.RSA.PrivateKey(pem: try String(contentsOfFile: rsaPrivate, encoding: .utf8))
        let config = """
            auth:
              lockout: {failures: 100000}
              jwt:
                hs256_secret: "\(Self.secret)"
                public_key_files: ["\(pem)", "\(rsaPublic)"]
                issuer: idp
                audience: arbiter
            """
        try await ArbiterServer.with(config: config) { server in try await body(server, ecKey, rsaKey) }
    }

    @Test func validJWTsActWithTheirRole() async throws {
        try await self.jwtServer { server, ecKey, rsaKey in
            let hmac = await JWTKeyCollection().add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha256)
            let es256 = await JWTKeyCollection().add(ecdsa: ecKey)
            let rs256 = await JWTKeyCollection().add(rsa: rsaKey, digestAlgorithm: .sha256)
            #expect(try await server.send("/api/v1/jobs", token: try await rs256.sign(self.claims(role: "viewer", sub: "rsa"))).status == 200)
            let operatorToken = try await hmac.sign(self.claims(role: "operator"))
            #expect(try await server.send("/api/v1/audit", token: operatorToken).status == 200)
            let viewer = try await es256.sign(self.claims(role: "viewer", sub: "grafana"))
            #expect(try await server.send("/api/v1/jobs", token: viewer).status == 200)
            #expect(try await server.send("/api/v1/audit", token: viewer).status == 403)
            // A worker JWT acts as the worker its `sub` names.
            let worker = try await es256.sign(self.claims(role: "worker", sub: "w9"))
            #expect(try await server.send("/api/v1/workers/w9/heartbeat", method: .POST, token: worker).status == 404)
            #expect(try await server.send("/api/v1/workers/w8/heartbeat", method: .POST, token: worker).status == 403)
            // What it changes is audited as the JWT's subject.
            #expect(try await server.post("/api/v1/job-types/t/pause", json: "{}", token: operatorToken).status == 200)
            let audit = try await server.get("/api/v1/audit?action=job_type.paused").text
            #expect(audit.contains(#""actor":"jwt:alice""#))
        }
    }

    @Test func everyMalformedCredentialIsA401() async throws {
        try await self.jwtServer { server, _, _ in
            let hmac = await JWTKeyCollection().add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha256)
            let otherSecret = await JWTKeyCollection().add(hmac: HMACKey(from: "a-different-secret-of-32-bytes-or-more"), digestAlgorithm: .sha256)
            let good = try await hmac.sign(self.claims())
            var random = SystemRandomNumberGenerator()
            let garbage = TestJWT.encode((0..<48).map { _ in UInt8.random(in: 0...255, using: &random) })
            let cases: [(String, String)] = [
                ("bad signature", try await otherSecret.sign(self.claims())),
                ("alg none", try TestJWT.unsigned(["exp": Date().timeIntervalSince1970 + 300, "sub": "x", "aud": "arbiter", "iss": "idp", "role": "admin"])),
                ("expired", try await hmac.sign(self.claims(expiresIn: -30))),
                ("wrong audience", try await hmac.sign(self.claims(aud: "someone-else"))),
                ("wrong issuer", try await hmac.sign(self.claims(iss: "evil"))),
                ("no such role", try await hmac.sign(self.claims(role: "root"))),
                ("truncated", String(good.dropLast(12))),
                ("header only", String(good.split(separator: ".")[0])),
                ("random bytes", garbage),
                ("random JWT-shaped", "\(garbage).\(garbage).\(garbage)"),
                ("unknown API token", "arb_" + String(repeating: "A", count: 43)),
                ("punctuation", "arb_!!!!$$$$%%%%^^^^&&&&****(((())))----____====++"),
                ("very long", String(repeating: "x.", count: 4000)),
            ]
            for (name, credential) in cases {
                let response = try await server.send("/api/v1/jobs", token: credential)
                #expect(response.status == 401, "\(name): \(response.status) \(response.text)")
                #expect(response.text.contains(#""code":"invalid_token""#), "\(name): \(response.text)")
            }
            for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc"] {
                let response = try await server.send("/api/v1/jobs", headers: [("Authorization", header)], token: "")
                #expect(response.status == 401, "\(header): \(response.status)")
            }
            let metrics = try await server.get("/metrics").text
            for reason in ["bad_signature", "unsupported_algorithm", "expired", "wrong_audience", "wrong_issuer", "malformed", "unknown_token"] {
                #expect(metrics.contains(#"arbiter_auth_failures_total{reason="\#(reason)"}"#), "no failures counted as \(reason)")
            }
            #expect(try await server.send("/api/v1/jobs", token: good).status == 200)
        }
    }

    @Test func aWorkerWithABadTokenSaysSoAndExits() async throws {
        try await ArbiterServer.with { server in
            let directory = try TemporaryDirectory(prefix: "worker-auth")
            defer { directory.remove() }
            let other = try await server.createToken(name: "w-other", role: "worker", workerID: "w-other")
            for (token, expected) in [("arb_" + String(repeating: "B", count: 43), ": 401 "), (other, ": 403 ")] {
                let result = try await ArbiterServer.run(
                    ["worker", "--server", server.baseURL, "--id", "w1", "--exec", "t=true"], environment: ["ARBITER_TOKEN": token], in: directory,
                    timeout: .seconds(20))
                #expect(result.status == 1 && result.stderr.contains("refused this worker's credentials") && result.stderr.contains(expected),
                        "\(result.status): \(result.stderr)")
                #expect(!result.stderr.contains(token), "the token is never printed")
            }
        }
    }

    @Test func repeatedFailuresLockTheAddressOutForAWhile() async throws {
        try await ArbiterServer.with(config: "auth:\n  lockout: {failures: 3, window: 1m, duration: 2s}\n") { server in
            for _ in 0..<3 { #expect(try await server.send("/api/v1/jobs", token: "wrong").status == 401) }
            let locked = try await server.send("/api/v1/jobs", token: "wrong")
            #expect(locked.status == 401)
            let refused = try await server.get("/api/v1/jobs")
            #expect(refused.status == 429 && refused.text.contains("auth_locked_out"))
            let wait = try #require(refused.header("Retry-After").flatMap(Int.init))
            #expect((1...2).contains(wait))
            // Health stays reachable; the lockout is for credentials only.
            #expect(try await server.get("/livez").status == 200)
            try await Task.sleep(for: .seconds(wait) + .milliseconds(200))
            #expect(try await server.get("/api/v1/jobs").status == 200)
            #expect(try await server.get("/metrics").text.contains(#"arbiter_auth_failures_total{reason="locked_out"} 1"#))
        }
    }

    @Test func servesHTTPSFromCertificateFiles() async throws {
        let directory = try TemporaryDirectory(prefix: "tls")
        defer { directory.remove() }
        let cert = directory.file("cert.pem")
        let key = directory.file("key.pem")
        let openssl = try await Spawn.run(
            ["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        #expect(openssl.status == 0, "\(openssl.output)")
        try await ArbiterServer.with(config: "tls:\n  cert_file: \(cert)\n  key_file: \(key)\n") { server in
            #expect(server.logLines.contains { $0["msg"] == "arbiter is ready" && $0["tls"] == "true" })
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            var request = HTTPClientRequest(url: "https://\(server.address)/api/v1/jobs")
            request.headers.add(name: "Authorization", value: "Bearer \(server.adminToken)")
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            try await client.shutdown()
            // Plain HTTP to the TLS port gets no answer.
            await #expect(throws: (any Error).self) { _ = try await server.get("/livez") }
        }
    }
}
