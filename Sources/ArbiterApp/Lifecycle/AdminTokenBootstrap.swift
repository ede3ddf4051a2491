import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import Foundation
import Logging

/// On first start with an empty store, creates an admin token and writes it to
/// `<data-dir>/admin.token` (mode 0600), or takes the one `auth.admin_token_file` holds (a secret an
/// orchestrator mounts, which the services beside Arbiter read too). The log names the file, never
/// the token.
struct AdminTokenBootstrap {
    let store: any TokenStore
    let dataDirectory: String
    var tokenFile: String?

    var path: String { (self.dataDirectory as NSString).appendingPathComponent("admin.token") }

    func run(logger: Logger) async throws {
        guard try await self.store.tokenCount() == 0 else { return }
        if let file = self.tokenFile {
            let token = try Self.read(file)
            _ = try await self.store.createToken(
                name: "bootstrap-admin", role: .admin, workerID: nil, hash: APITokenCodec.hash(token), now: WallClock.nowMilliseconds())
            logger.notice("created the first admin token from auth.admin_token_file", metadata: ["file": "\(file)"])
            return
        }
        let token = APITokenCodec.generate()
        // Written before the token exists in the store: a crash in between leaves a useless file, never a lost admin.
        try self.write(token + "\n")
        _ = try await self.store.createToken(
            name: "bootstrap-admin", role: .admin, workerID: nil, hash: APITokenCodec.hash(token), now: WallClock.nowMilliseconds())
        logger.notice("created the first admin token; read it from the file and keep it safe", metadata: ["file": "\(self.path)"])
    }

    /// The token in `file`, checked for the shape of an API token.
    static func read(_ file: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw StartupError("auth.admin_token_file \(file): cannot read it (\(error.localizedDescription))")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard APITokenCodec.looksLikeToken(token) else {
            throw StartupError(
                "auth.admin_token_file \(file): not an API token (arb_ and 43 base64url characters; "
                    + #"printf 'arb_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" makes one)"#)
        }
        return token
    }

    private func write(_ text: String) throws {
        let descriptor = open(self.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StartupError("cannot write \(self.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // An existing file keeps its mode through O_CREAT; make sure it is 0600.
        guard fchmod(descriptor, 0o600) == 0 else { throw StartupError("cannot chmod \(self.path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        guard Foundation.write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw StartupError("cannot write \(self.path): \(String(cString: strerror(errno)))")
        }
    }
}
