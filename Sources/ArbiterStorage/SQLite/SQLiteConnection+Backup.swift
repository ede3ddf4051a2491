import CSQLite

extension SQLiteConnection {
    /// Copies this database into a new file with SQLite's online backup, in one step: the copy is the
    /// database as of one moment (a read transaction is held for the copy; in WAL mode writers go on
    /// meanwhile), and it is synced when this returns.
    /// - Parameter path: A file that does not exist yet.
    /// - Throws: ``SQLiteError`` naming the file.
    public func backup(to path: String) throws(SQLiteError) {
        let destination = try SQLiteConnection(path: path)
        guard let backup = sqlite3_backup_init(destination.handle, "main", self.handle, "main") else {
            throw SQLiteError(code: sqlite3_errcode(destination.handle), handle: destination.handle, operation: "back up \(self.path) to \(path)")
        }
        let step = sqlite3_backup_step(backup, -1)
        let finish = sqlite3_backup_finish(backup)
        guard step == SQLITE_DONE, finish == SQLITE_OK else {
            throw SQLiteError(code: step == SQLITE_DONE ? finish : step, handle: destination.handle, operation: "back up \(self.path) to \(path)")
        }
        // Back in a single file: the copy's pages are in its write-ahead log until a checkpoint.
        try destination.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// `PRAGMA integrity_check`'s findings: empty when the database is sound.
    public func integrityProblems() throws(SQLiteError) -> [String] {
        let rows = try self.query("PRAGMA integrity_check")
        let findings = rows.compactMap { $0.first?.text }
        return findings == ["ok"] ? [] : findings
    }
}
