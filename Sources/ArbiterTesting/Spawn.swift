import Foundation

/// Runs a program to completion with `posix_spawn` and `waitpid`, its output in a file.
///
/// For programs that leave a daemon behind (`pg_ctl start`): Foundation's `Process` watches for exit
/// through a descriptor the daemon inherits, so its wait would never return.
public enum Spawn {
    /// Runs `command` (absolute path first) and waits for it on a thread of its own, so that a test
    /// waiting for a slow program (initdb on a busy machine) holds none of the few threads every other
    /// test of the process runs on.
    /// - Returns: The exit status (or 128 + signal) and what it printed.
    /// - Throws: ``TestingError`` when it cannot be started.
    public static func run(_ command: [String]) async throws -> (status: Int32, output: String) {
        try await self.onOwnThread { try self.runBlocking(command) }
    }

    /// Runs `body` on a new thread and waits for it without blocking the caller's thread.
    public static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Runs `command` and waits for it on the calling thread: only where a test cannot wait (a
    /// `defer`, an exit handler).
    static func runBlocking(_ command: [String]) throws -> (status: Int32, output: String) {
        let scratch = try TemporaryDirectory(prefix: "spawn")
        defer { scratch.remove() }
        let log = scratch.file("output.log")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, command[0], &actions, nil, &argv, environ)
        guard status == 0 else { throw TestingError("cannot start \(command[0]): \(String(cString: strerror(status)))") }
        var result: Int32 = 0
        while waitpid(pid, &result, 0) < 0 && errno == EINTR {}
        let exited = result & 0x7f == 0
        let code = exited ? (result >> 8) & 0xff : 128 + (result & 0x7f)
        return (code, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
