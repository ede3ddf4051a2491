import ArbiterHTTP
import Foundation
import HummingbirdTLS
import NIOSSL

/// Reads what authentication and TLS need from files at start; every problem is a startup error
/// that names the file or key.
struct AccessSetup {
    let configuration: ArbiterConfiguration

    /// The JWT verifier, when any JWT key is configured.
    func jwtVerifier() async throws -> JWTVerifier? {
        let config = self.configuration
        guard config.jwtEnabled else { return nil }
        var secret = config.jwtHS256Secret.map { Array($0.utf8) }
        if let file = config.jwtHS256SecretFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw StartupError("auth.jwt.hs256_secret_file \(file): cannot read it") }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.utf8.count >= 32 else { throw StartupError("auth.jwt.hs256_secret_file \(file): the secret must be at least 32 bytes") }
            secret = Array(trimmed.utf8)
        }
        let pems = try config.jwtPublicKeyFiles.map { file in
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw StartupError("auth.jwt.public_key_files \(file): cannot read it") }
            return text
        }
        do {
            return try await JWTVerifier(configuration: .init(
                hs256Secret: secret, publicKeysPEM: pems, issuer: config.jwtIssuer, audience: config.jwtAudience, roleClaim: config.jwtRoleClaim))
        } catch {
            throw StartupError("\(error)")
        }
    }

    /// The TLS configuration, when a certificate is configured.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let certificate = self.configuration.tlsCertificateFile, let key = self.configuration.tlsKeyFile else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw StartupError("tls.cert_file \(certificate): not a PEM certificate chain (\(error))")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw StartupError("tls.key_file \(key): not a PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}
