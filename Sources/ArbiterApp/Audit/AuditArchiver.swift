import ArbiterCore
import ArbiterJobs
import Crypto
import Foundation

/// `arbiter audit archive`: writes the entries before a moment to a new file, makes it durable, and
/// only then removes them from the store (``Ledger/archiveAudit(through:details:now:batch:)``). A
/// run that stops half way leaves either no file (nothing removed) or a complete file (and the store
/// archived up to some entry in it, which a second run with the same date finishes).
public struct AuditArchiver {
    public let store: Ledger

    public init(store: Ledger) {
        self.store = store
    }

    /// What one run archived.
    public struct Archived: Sendable, Equatable {
        public var first: Int64
        public var last: AuditHead
        public var sha256: String

        public var entries: Int64 { self.last.seq - self.first + 1 }
    }

    /// Archives the stored entries from the chain's start (or its anchor) up to the first one at or
    /// after `before` (Unix ms): a prefix of the chain, whatever order the entries' times are in.
    /// - Returns: `nil` when no entry is before `before` (no file is written).
    /// - Throws: ``AuditArchive/Invalid`` for a file that exists or cannot be written, or what the store throws.
    public func archive(before: Int64, to path: String, now: Int64) async throws -> Archived? {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw AuditArchive.Invalid("\(path) exists; an archive is never overwritten")
        }
        let partial = path + ".partial"
        let file = try ArchiveFile(creating: partial)
        var first: Int64?
        var last: AuditEntry?
        var cursor = try await self.store.auditAnchor()?.seq ?? 0
        do {
            pages: while true {
                let page = try await self.store.auditEntries(AuditFilter(), after: cursor, limit: 5000)
                guard !page.isEmpty else { break }
                for entry in page {
                    if entry.at >= before { break pages }
                    try file.append(AuditArchive.line(entry))
                    first = first ?? entry.seq
                    last = entry
                }
                cursor = page[page.count - 1].seq
            }
            guard let first, let last else {
                file.close()
                unlink(partial)
                return nil
            }
            let digest = try file.finish()
            guard rename(partial, path) == 0 else { throw AuditArchive.Invalid("\(path): cannot rename into place: \(String(cString: strerror(errno)))") }
            ArchiveFile.syncDirectory(of: path)
            let archived = Archived(first: first, last: AuditHead(seq: last.seq, hash: last.hash), sha256: digest)
            _ = try await self.store.archiveAudit(
                through: archived.last,
                details: [
                    ("first_seq", "\(first)"), ("through_seq", "\(last.seq)"), ("entries", "\(archived.entries)"),
                    ("file", (path as NSString).lastPathComponent), ("sha256", digest),
                ],
                now: now,
                // Beside a serving daemon each batch holds the store's write lock, which its commits wait
                // for: rest three times as long as a batch took, so they get the store most of the time.
                rest: { took in try? await Task.sleep(for: max(took * 3, .milliseconds(1))) })
            return archived
        } catch {
            file.close()
            if FileManager.default.fileExists(atPath: partial) { unlink(partial) }
            throw error
        }
    }
}

/// A new file written in large chunks, hashed as it is written, synced before it is renamed.
final class ArchiveFile {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private var open = true

    init(creating path: String) throws {
        self.path = path
        self.descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard self.descriptor >= 0 else { throw AuditArchive.Invalid("\(path): cannot create: \(String(cString: strerror(errno)))") }
        self.buffer.reserveCapacity(1 << 20)
    }

    func append(_ line: String) throws {
        self.buffer += line.utf8
        self.buffer.append(UInt8(ascii: "\n"))
        if self.buffer.count >= 1 << 20 { try self.flush() }
    }

    /// Writes what is buffered and syncs the file.
    /// - Returns: The file's SHA-256 in hex.
    func finish() throws -> String {
        try self.flush()
        guard fsync(self.descriptor) == 0 else { throw AuditArchive.Invalid("\(self.path): cannot sync: \(String(cString: strerror(errno)))") }
        self.close()
        return Hex.encode(Array(self.hasher.finalize()))
    }

    func close() {
        if self.open { Glibc.close(self.descriptor) }
        self.open = false
    }

    private func flush() throws {
        self.hasher.update(data: self.buffer)
        var offset = 0
        while offset < self.buffer.count {
            let written = self.buffer[offset...].withUnsafeBytes { write(self.descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw AuditArchive.Invalid("\(self.path): cannot write: \(String(cString: strerror(errno)))") }
            offset += written
        }
        self.buffer.removeAll(keepingCapacity: true)
    }

    /// Makes a rename in the file's directory durable.
    static func syncDirectory(of path: String) {
        let directory = Glibc.open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        guard directory >= 0 else { return }
        fsync(directory)
        Glibc.close(directory)
    }
}

/// Archive files for ``AuditArchiveCheck``, read line by line.
public enum AuditArchiveFiles {
    /// - Throws: ``AuditArchive/Invalid`` naming a file that cannot be read, is empty or does not begin with an entry.
    public static func open(_ paths: [String]) throws -> [AuditArchiveCheck.File] {
        try paths.map { path in
            guard let first = try Self.lines(path).first(where: { !$0.isEmpty }) else { throw AuditArchive.Invalid("\(path): empty; not an archive") }
            let entry: AuditEntry
            do {
                entry = try AuditArchive.entry(first)
            } catch {
                throw AuditArchive.Invalid("\(path) line 1: \(error)")
            }
            return AuditArchiveCheck.File(name: path, firstSeq: entry.seq, lines: { try Self.lines(path) })
        }
    }

    /// The file's lines, without their newlines, read as they are iterated.
    static func lines(_ path: String) throws -> AnySequence<Substring> {
        guard let handle = fopen(path, "r") else { throw AuditArchive.Invalid("\(path): cannot read: \(String(cString: strerror(errno)))") }
        let reader = LineReader(handle: handle)
        return AnySequence { AnyIterator { reader.next() } }
    }

    private final class LineReader {
        private var handle: UnsafeMutablePointer<FILE>?
        private var line: UnsafeMutablePointer<CChar>?
        private var capacity = 0

        init(handle: UnsafeMutablePointer<FILE>) {
            self.handle = handle
        }

        func next() -> Substring? {
            guard let handle = self.handle else { return nil }
            let length = getline(&self.line, &self.capacity, handle)
            guard length >= 0, let line = self.line else {
                fclose(handle)
                self.handle = nil
                return nil
            }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(line).assumingMemoryBound(to: UInt8.self), count: length)
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            return Substring(text)
        }

        deinit {
            if let handle = self.handle { fclose(handle) }
            free(self.line)
        }
    }
}
