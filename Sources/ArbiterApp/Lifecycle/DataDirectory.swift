import ArbiterHTTP
import Foundation

/// Arbiter's directory on disk: created at start when missing, checked for writing on
/// `/health/detailed`.
public struct DataDirectory: HealthCheck {
    /// The directory.
    public let path: String
    public var name: String { "data_dir" }

    /// - Parameter path: The configured data directory.
    public init(path: String) {
        self.path = path
    }

    /// Creates the directory (and its parents) when missing and checks it can be written.
    /// - Throws: ``ConfigurationError`` naming the path and the reason.
    public func prepare() throws(ConfigurationError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: self.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ConfigurationError(location: "data_dir \(self.path)", key: nil, problem: "exists but is not a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
            } catch {
                throw ConfigurationError(location: "data_dir \(self.path)", key: nil, problem: "cannot create the directory: \(String(cString: strerror(errno)))")
            }
        }
        guard access(self.path, W_OK | X_OK) == 0 else {
            throw ConfigurationError(location: "data_dir \(self.path)", key: nil, problem: "is not writable: \(String(cString: strerror(errno)))")
        }
    }

    public func check() async -> ComponentHealth {
        access(self.path, W_OK | X_OK) == 0
            ? ComponentHealth(.ok, "\(self.path) is writable")
            : ComponentHealth(.down, "\(self.path) is not writable: \(String(cString: strerror(errno)))")
    }
}
