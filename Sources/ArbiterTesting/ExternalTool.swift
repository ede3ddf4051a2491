import Foundation

/// A program from a Debian package that integration tests run (prometheus, promtool, …).
///
/// Locally a missing program skips the tests that need it; with `ARBITER_REQUIRE_SERVERS=1`
/// (set by `.ci/run`) nothing may be skipped, and a missing program fails the test instead.
public struct ExternalTool: Sendable {
    /// The program's name on `PATH`.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    /// The program's full path, if it is installed.
    public var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/sbin", "/usr/bin"]
        for directory in directories {
            let candidate = "\(directory)/\(self.name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether tests needing this program should run: it is installed, or the environment requires it
    /// (so its absence fails loudly rather than skipping).
    public var shouldRun: Bool {
        self.path != nil || ProcessInfo.processInfo.environment["ARBITER_REQUIRE_SERVERS"] == "1"
    }

    /// The full path, or an error saying the package to install.
    public func require() throws -> String {
        guard let path = self.path else {
            throw TestingError("\(self.name) is not installed (scripts/install-deps installs it)")
        }
        return path
    }

    public static let prometheus = ExternalTool("prometheus")
    public static let promtool = ExternalTool("promtool")
    public static let alertmanager = ExternalTool("prometheus-alertmanager")
    public static let amtool = ExternalTool("amtool")
    public static let dockerCompose = ExternalTool("docker-compose")
    public static let redisServer = ExternalTool("redis-server")
}
