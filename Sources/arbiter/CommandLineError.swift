#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// Errors a command reports itself, as `arbiter: error: …` on stderr, before exiting non-zero.
enum CommandLineError {
    static func print(_ message: String) {
        self.write("arbiter: error: \(message)\n")
    }

    /// A remark on stderr that is not an error (stdout stays for what scripts read).
    static func note(_ message: String) {
        self.write("arbiter: \(message)\n")
    }

    private static func write(_ text: String) {
        let line = Array(text.utf8)
        line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// A client command's failure, printed as one line naming what failed.
struct CommandLineFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// Runs `body`; a failure is printed and the command exits 1.
    static func report<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as CommandLineFailure {
            CommandLineError.print(failure.description)
            throw ExitCode.failure
        }
    }
}
