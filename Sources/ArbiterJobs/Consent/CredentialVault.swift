import ArbiterCore
import Crypto
import Foundation

/// Seals users' secrets with AES-256-GCM. The active key seals; every configured key can open, so a
/// key can rotate: add the new one as active and keep the old one listed until nothing sealed with it
/// remains. A key's id is derived from the key (`k-` and 16 hex digits of its SHA-256), so the store
/// records which key sealed a row without any key material. The user id and scope are authenticated
/// with the ciphertext, so a sealed row moved to another user or scope does not open.
public struct CredentialVault: Sendable {
    public typealias Sealed = SealedCredential

    public let activeKeyID: String
    private let keys: [String: SymmetricKey]

    /// - Parameters:
    ///   - active: 32 bytes: the key that seals.
    ///   - previous: Older 32-byte keys that still open what they sealed.
    /// - Throws: ``VaultError`` when a key is not 32 bytes.
    public init(active: [UInt8], previous: [[UInt8]] = []) throws {
        for key in [active] + previous where key.count != 32 {
            throw VaultError("a vault key must be 32 bytes (256 bits), not \(key.count)")
        }
        self.activeKeyID = Self.keyID(active)
        var keys: [String: SymmetricKey] = [:]
        for key in previous + [active] { keys[Self.keyID(key)] = SymmetricKey(data: key) }
        self.keys = keys
    }

    public static func keyID(_ key: [UInt8]) -> String {
        "k-" + Hex.encode(Array(SHA256.hash(data: key).prefix(8)))
    }

    public func seal(_ secret: [UInt8], userID: String, scope: String) throws -> Sealed {
        let box = try AES.GCM.seal(secret, using: self.keys[self.activeKeyID]!, authenticating: Self.context(userID, scope))
        return Sealed(keyID: self.activeKeyID, nonce: Array(box.nonce), ciphertext: Array(box.ciphertext) + Array(box.tag))
    }

    public func open(_ sealed: Sealed, userID: String, scope: String) throws -> [UInt8] {
        guard let key = self.keys[sealed.keyID] else {
            throw VaultError("the credential was sealed with key \(sealed.keyID), which is not configured")
        }
        guard sealed.ciphertext.count >= 16 else { throw VaultError("the sealed credential is truncated") }
        let box = try AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: sealed.nonce), ciphertext: sealed.ciphertext.dropLast(16), tag: sealed.ciphertext.suffix(16))
        return Array(try AES.GCM.open(box, using: key, authenticating: Self.context(userID, scope)))
    }

    private static func context(_ userID: String, _ scope: String) -> [UInt8] {
        Array("arbiter-credential-v1\u{0}\(userID)\u{0}\(scope)".utf8)
    }

    /// Reads a key file: the key as base64 on one line (`openssl rand -base64 32`).
    public static func readKey(file path: String) throws -> [UInt8] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw VaultError("\(path): cannot read the key file") }
        return try self.decodeKey(text, source: path)
    }

    /// Decodes a base64 key, naming `source` when it is not 32 bytes of base64.
    public static func decodeKey(_ text: String, source: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw VaultError("\(source): expected 32 bytes as base64 (openssl rand -base64 32)")
        }
        return Array(data)
    }
}

public struct VaultError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
