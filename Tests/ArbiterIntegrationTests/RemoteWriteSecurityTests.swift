import ArbiterTesting
import Foundation
import NIOSSL
import Testing

/// Remote write over TLS with a private CA and a client certificate, with basic auth and bearer
/// tokens read from files: the receiver gets the credentials, the logs never do, and an endpoint
/// whose certificate cannot be verified gets nothing at all.
@Suite struct RemoteWriteSecurityTests {
    /// A CA, and a server certificate for 127.0.0.1 and a client certificate it signed, by openssl.
    static func certificates(in directory: TemporaryDirectory) async throws {
        let openssl = "/usr/bin/openssl"
        let steps: [[String]] = [
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("ca.key"),
             "-out", directory.file("ca.pem"), "-days", "1", "-subj", "/CN=Arbiter test CA"],
        ] + ["server", "client"].flatMap { name -> [[String]] in
            [
                [openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("\(name).key"),
                 "-out", directory.file("\(name).csr"), "-subj", "/CN=\(name == "server" ? "127.0.0.1" : "arbiter")"],
                [openssl, "x509", "-req", "-in", directory.file("\(name).csr"), "-CA", directory.file("ca.pem"), "-CAkey", directory.file("ca.key"),
                 "-CAcreateserial", "-out", directory.file("\(name).pem"), "-days", "1", "-extfile", directory.file("\(name).ext")],
            ]
        }
        _ = try directory.write("server.ext", "subjectAltName=IP:127.0.0.1\n")
        _ = try directory.write("client.ext", "extendedKeyUsage=clientAuth\n")
        for step in steps {
            let run = try await Spawn.run(step)
            guard run.status == 0 else { throw TestingError("\(step.joined(separator: " ")): \(run.output)") }
        }
    }

    @Test("TLS with a private CA and a client certificate, basic auth and a bearer token from files; an unverifiable certificate gets nothing")
    func credentialsAndTLS() async throws {
        let directory = try TemporaryDirectory(prefix: "rw-tls")
        defer { directory.remove() }
        try await Self.certificates(in: directory)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(directory.file("server.pem")).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: directory.file("server.key"), format: .pem)))
        // Client certificates signed by the CA are required.
        tls.trustRoots = .file(directory.file("ca.pem"))
        tls.certificateVerification = .noHostnameVerification
        let secure = try await FaultyReceiver.start(scripts: [:], tls: tls)
        defer { secure.stop() }
        let plain = try await FaultyReceiver.start(scripts: [:])
        defer { plain.stop() }
        let password = try directory.write("password", "s3cret-password\n")
        let token = try directory.write("token", "s3cret-token\n")
        let config = RemoteWriteEndToEndTests.config(endpoints: """
              - url: https://127.0.0.1:\(secure.port)/mtls
                name: mtls
                basic_auth: {username: arbiter, password_file: \(password)}
                tls_config: {ca_file: \(directory.file("ca.pem")), cert_file: \(directory.file("client.pem")), key_file: \(directory.file("client.key"))}
              - url: https://127.0.0.1:\(secure.port)/untrusted
                name: untrusted
                queue_config: {min_backoff: 100ms, max_backoff: 500ms}
              - url: http://127.0.0.1:\(plain.port)/bearer
                name: bearer
                bearer_token_file: \(token)
            """)
        try await ArbiterServer.with(config: config) { server in
            try await Polling.until("both trusted endpoints receive rounds", timeout: .seconds(60), interval: .milliseconds(200)) {
                secure.received("mtls").filter { $0.answered == 204 }.count >= 2 && plain.received("bearer").filter { $0.answered == 204 }.count >= 2
            }
            let basic = Data("arbiter:s3cret-password".utf8).base64EncodedString()
            #expect(secure.received("mtls").allSatisfy { $0.headers["authorization"] == "Basic \(basic)" && $0.samples > 0 })
            #expect(plain.received("bearer").allSatisfy { $0.headers["authorization"] == "Bearer s3cret-token" })
            // The receiver's certificate is not signed by a CA the system trusts: retried, never delivered.
            #expect(secure.received("untrusted").isEmpty)
            func value(_ name: String, _ endpoint: String) async throws -> Double {
                try await RemoteWriteEndToEndTests.metric(server, name, ["remote_name": endpoint]) ?? 0
            }
            #expect(try await value("arbiter_remote_storage_samples_retried_total", "untrusted") > 0)
            #expect(try await value("arbiter_remote_storage_samples_total", "untrusted") == 0)
            #expect(try await value("arbiter_remote_storage_samples_total", "mtls") > 0)
            let logs = server.process.stderr
            #expect(!logs.contains("s3cret"), "a credential reached the log")
        }
    }
}
