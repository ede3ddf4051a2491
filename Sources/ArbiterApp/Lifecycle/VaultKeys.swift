import ArbiterJobs
import ArbiterStorage
import Foundation
import Logging

/// Finds the credential vault's keys: `vault.key` (best set as `ARBITER_VAULT_KEY`), else
/// `vault.key_file`, else `<data_dir>/vault.key`, which is created (mode 0600) on first start so a
/// single box works with nothing configured. Logs which key is active by its id, never the key.
struct VaultKeys {
    let configuration: ArbiterConfiguration

    func load(logger: Logger) throws -> CredentialVault {
        do {
            let previous = try self.configuration.vaultPreviousKeyFiles.map(CredentialVault.readKey(file:))
            let (active, source) = try self.activeKey()
            let vault = try CredentialVault(active: active, previous: previous)
            logger.info("credential vault ready", metadata: ["key_id": "\(vault.activeKeyID)", "key_source": "\(source)", "previous_keys": "\(previous.count)"])
            return vault
        } catch let error as VaultError {
            throw StartupError("credential vault: \(error)")
        }
    }

    private func activeKey() throws -> ([UInt8], String) {
        if let text = self.configuration.vaultKey { return (try CredentialVault.decodeKey(text, source: "vault.key"), "vault.key") }
        if let file = self.configuration.vaultKeyFile { return (try CredentialVault.readKey(file: file), file) }
        let path = (self.configuration.dataDirectory as NSString).appendingPathComponent("vault.key")
        if FileManager.default.fileExists(atPath: path) { return (try CredentialVault.readKey(file: path), path) }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw VaultError("\(path): cannot create the key file: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array((Data(key).base64EncodedString() + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw VaultError("\(path): cannot write the key file: \(String(cString: strerror(errno)))")
        }
        return (key, path)
    }
}
