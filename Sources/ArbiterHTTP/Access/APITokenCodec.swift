import Crypto

/// API tokens: `arb_` and 43 characters of base64url (32 random bytes). Only the SHA-256 is stored.
public enum APITokenCodec {
    static let prefix = "arb_"

    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return self.prefix + Base64URL.encode(bytes)
    }

    /// The stored form of a token.
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Whether `text` has the shape of an API token (as opposed to a JWT or garbage).
    public static func looksLikeToken(_ text: String) -> Bool {
        text.hasPrefix(self.prefix) && text.utf8.count == self.prefix.utf8.count + 43
    }
}

/// Unpadded base64url (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<(chunk.count + 1) { out.append(self.alphabet[(value >> (18 - 6 * position)) & 0x3f]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
