import Glibc

/// A file of the disk queue through POSIX calls: positioned reads and writes, fsync, truncation,
/// and atomic replacement of small files (temp file, fsync, rename, fsync of the folder).
struct QueueFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String

        init(_ operation: String, _ path: String) {
            self.description = "\(operation) \(path): \(String(cString: strerror(errno)))"
        }
    }

    let path: String
    let descriptor: Int32

    static func open(_ path: String, create: Bool) throws(Failure) -> QueueFile {
        let descriptor = Glibc.open(path, create ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure("open", path) }
        return QueueFile(path: path, descriptor: descriptor)
    }

    func close() {
        _ = Glibc.close(self.descriptor)
    }

    var size: Int64 {
        var status = stat()
        guard fstat(self.descriptor, &status) == 0 else { return 0 }
        return Int64(status.st_size)
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws(Failure) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { pwrite(self.descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            guard written > 0 else { throw Failure("write", self.path) }
            done += written
        }
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(_ count: Int, at offset: Int64) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(self.descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            guard got >= 0 else { throw Failure("read", self.path) }
            if got == 0 { break }
            done += got
        }
        return Array(bytes.prefix(done))
    }

    func sync() throws(Failure) {
        guard fsync(self.descriptor) == 0 else { throw Failure("fsync", self.path) }
    }

    func truncate(to size: Int64) throws(Failure) {
        guard ftruncate(self.descriptor, off_t(size)) == 0 else { throw Failure("truncate", self.path) }
    }

    /// Replaces `path` with `bytes` so a crash leaves the old file or the new one, never a mix.
    static func replace(_ path: String, with bytes: [UInt8], directory: String) throws(Failure) {
        let temporary = path + ".tmp"
        let file = try QueueFile.open(temporary, create: true)
        defer { file.close() }
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        try file.sync()
        guard rename(temporary, path) == 0 else { throw Failure("rename", temporary) }
        try self.syncDirectory(directory)
    }

    static func syncDirectory(_ directory: String) throws(Failure) {
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure("open", directory) }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure("fsync", directory) }
    }
}
