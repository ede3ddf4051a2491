import ArbiterTesting
import Foundation

/// The files of the repository's `compose/` folder, as written, and with their container addresses
/// and paths replaced for a run on loopback.
enum ComposeFolder {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let folder = Self.repository.appendingPathComponent("compose")
    static let alerts = Self.repository.appendingPathComponent("alerts").path

    /// The path of a file in `compose/`.
    static func path(_ name: String) -> String {
        Self.folder.appendingPathComponent(name).path
    }

    /// A file's text with each `(found, replacement)` applied.
    /// - Throws: ``TestingError`` when a `found` is not in the file: the file changed, and the run
    ///   would otherwise use the container's address or path.
    static func substituted(_ name: String, _ replacements: [(String, String)]) throws -> String {
        var text = try String(contentsOfFile: self.path(name), encoding: .utf8)
        for (found, replacement) in replacements {
            guard text.contains(found) else { throw TestingError("compose/\(name) no longer contains \(found)") }
            text = text.replacingOccurrences(of: found, with: replacement)
        }
        return text
    }

    /// The admin token and vault key the stack reads as secrets, made as `docker-compose.yml` says.
    static func secrets(in directory: TemporaryDirectory) throws -> (token: String, tokenFile: String, vaultKeyFile: String) {
        let token = "arb_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        return (token, try directory.write("arbiter_admin_token", token), try directory.write("arbiter_vault_key", key))
    }
}
