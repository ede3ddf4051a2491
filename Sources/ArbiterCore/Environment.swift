#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an environment variable without Foundation.
/// - Parameter name: The variable's name.
/// - Returns: Its value, or `nil` when it is not set.
public func getenvString(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    return String(cString: raw)
}
