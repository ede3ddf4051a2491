/// The version of this build, reported by `arbiter version`, `arbiter_build_info` and the health endpoints.
public enum ArbiterVersion {
    /// The release version.
    public static let version = "0.1.0"

    /// The source revision, taken from `ARBITER_BUILD_REVISION` at run time when the packager sets it
    /// (a Swift package cannot stamp it at build time without a plugin), otherwise `unknown`.
    public static var revision: String {
        if let value = getenvString("ARBITER_BUILD_REVISION"), !value.isEmpty { return value }
        return "unknown"
    }

    /// The Swift compiler that built this binary.
    public static let swiftVersion: String = {
        #if compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1"
        #endif
    }()
}
