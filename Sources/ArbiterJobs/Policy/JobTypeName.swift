/// The rule for job type names, shared by the configuration and the API.
public enum JobTypeName {
    /// Letters, digits and `_ . : -`, 1 to 128 bytes.
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "_.:-".utf8.contains(byte)
            }
    }

    /// The rule in words, for error messages.
    public static let rule = "letters, digits and _ . : - (1 to 128 bytes)"
}
