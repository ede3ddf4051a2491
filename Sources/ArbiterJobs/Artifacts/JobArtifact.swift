/// A file a worker attached to the attempt it held, as listed (the content is read on its own).
public struct JobArtifact: Sendable, Equatable {
    public var jobID: String
    /// `[A-Za-z0-9._-]`, 1 to 128 characters, not starting with a dot: safe as a file name anywhere.
    public var name: String
    /// The attempt that attached it.
    public var attempt: Int
    public var size: Int64
    /// Hex SHA-256 of the content.
    public var sha256: String
    public var contentType: String
    public var createdAt: Int64

    public init(jobID: String, name: String, attempt: Int, size: Int64, sha256: String, contentType: String, createdAt: Int64) {
        self.jobID = jobID
        self.name = name
        self.attempt = attempt
        self.size = size
        self.sha256 = sha256
        self.contentType = contentType
        self.createdAt = createdAt
    }

    /// Whether `name` is a valid artifact name.
    public static func isValid(name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }
}

/// How large artifacts may be.
public struct ArtifactLimits: Sendable, Equatable {
    /// One file at most.
    public var maxFileBytes: Int
    /// All of one job's files together at most.
    public var maxJobBytes: Int64

    public static let `default` = ArtifactLimits(maxFileBytes: 10 << 20, maxJobBytes: 50 << 20)

    public init(maxFileBytes: Int, maxJobBytes: Int64) {
        self.maxFileBytes = maxFileBytes
        self.maxJobBytes = maxJobBytes
    }
}
