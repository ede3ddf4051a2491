import Foundation

/// A fresh directory under the system temp dir, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    /// The directory's path.
    public let path: String

    /// Creates the directory.
    /// - Parameter prefix: Start of the directory name, to tell tests apart.
    /// - Throws: When the directory cannot be created.
    public init(prefix: String = "arbiter-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        let url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String {
        (self.path as NSString).appendingPathComponent(name)
    }

    /// Writes a text file inside the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let path = self.file(name)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
