import Foundation

/// Hand-built JWTs for tests of what a verifier must refuse (`alg: none`, truncations, garbage).
public enum TestJWT {
    /// base64url without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// An unsigned token: header `{"alg":"none","typ":"JWT"}`, the claims, and an empty signature.
    public static func unsigned(_ claims: [String: Any]) throws -> String {
        let header = self.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = self.encode(Array(try JSONSerialization.data(withJSONObject: claims)))
        return "\(header).\(payload)."
    }
}
