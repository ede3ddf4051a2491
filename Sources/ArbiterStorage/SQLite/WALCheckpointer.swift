import ArbiterCore
import Foundation
import Synchronization

/// Copies the write-ahead log back into the database file from a connection and a thread of its own,
/// so a commit never pays for a checkpoint: the store's connection runs with automatic checkpoints
/// off, and this one runs a passive checkpoint (which never blocks writers) every `interval`.
///
/// Without it, SQLite checkpoints inside whichever commit crosses 1,000 WAL pages, and that commit
/// (and every operation grouped behind it) waits for the copy and its fsync.
final class WALCheckpointer: Sendable {
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts checkpointing the database at `path`.
    /// - Throws: ``SQLiteError`` when the file cannot be opened.
    init(path: String, interval: Duration = .milliseconds(200)) throws {
        let connection = try SQLiteConnection(path: path)
        let seconds = interval.seconds
        Thread.detachNewThread { [self] in
            while !self.stopped.withLock({ $0 }) {
                try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                Thread.sleep(forTimeInterval: seconds)
            }
            self.finished.signal()
        }
    }

    /// Stops after the checkpoint in progress.
    func stop() {
        self.stopped.withLock { $0 = true }
        self.finished.wait()
    }
}
