#if canImport(Glibc)
import Glibc
#endif

/// Errors a command reports itself, as `arbiter: error: …` on stderr, before exiting non-zero.
enum CommandLineError {
    static func print(_ message: String) {
        let line = Array("arbiter: error: \(message)\n".utf8)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
