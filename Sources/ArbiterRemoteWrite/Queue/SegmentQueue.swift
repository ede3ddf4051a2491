import Foundation

/// An endpoint's durable buffer: requests ready to send, in segment files that together hold at
/// most `maxBytes`, read in order and acknowledged once delivered.
///
/// - A record is `[length u32][crc32 u32]` then its payload `[round u64][timestamp i64][samples u32]`
///   and the compressed request, little-endian. Segments are named by the queue offset of their
///   first byte, so offsets grow for the queue's whole life.
/// - Appends are fsynced before the offsets file (`[read i64][write i64][crc32 u32]`) is replaced
///   atomically; acknowledgements replace it too. A crash leaves whole records and offsets that
///   point at or before them.
/// - At open, every record from the read offset on is checked (what was acknowledged before it is
///   not read, so damage there costs nothing). A torn or corrupt record ends its segment there: the
///   segment is truncated and the truncation counted; what came before stays.
/// - Over the budget, the oldest segments go, and their unsent samples are counted as dropped (those
///   the sender holds already are its to count, as sent or failed). The budget holds every segment
///   with the round being written; only a single round larger than the whole budget overshoots it.
///
/// Not thread-safe: its owner serializes calls.
final class SegmentQueue {
    struct Record: Sendable, Equatable {
        /// Where the record starts and ends in the queue.
        var offset: Int64
        var end: Int64
        var round: UInt64
        var timestamp: Int64
        var samples: Int
    }

    /// What opening found.
    struct Recovery: Sendable, Equatable {
        var records = 0
        var truncations = 0
        var bytesTruncated: Int64 = 0
    }

    static let headerBytes = 8
    static let metadataBytes = 20

    let directory: String
    let maxBytes: Int64
    let segmentBytes: Int64
    private(set) var readOffset: Int64 = 0
    private(set) var writeOffset: Int64 = 0
    /// Unacknowledged records, oldest first: `stored` from `head` on. Acknowledging moves `head`
    /// (the array is compacted now and then), so catching up on a long backlog stays linear.
    private var stored: [Record] = []
    private var head = 0
    var records: ArraySlice<Record> { self.stored[self.head...] }
    /// Samples of the unacknowledged records.
    private(set) var pendingSamples = 0
    /// The last round appended: round numbers only go up, even when the clock steps back.
    private var lastRound: UInt64 = 0
    /// Segment start offsets, oldest first; the last is being written.
    private var segments: [Int64] = []
    private var current: QueueFile?
    /// The end of the last batch handed to the sender: records before it are in its hands.
    private var sendingEnd: Int64 = 0
    private(set) var recovery = Recovery()

    init(directory: String, maxBytes: Int64) throws {
        self.directory = directory
        self.maxBytes = max(maxBytes, 64 * 1024)
        self.segmentBytes = max(16 * 1024, min(64 << 20, self.maxBytes / 8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try self.open()
    }

    deinit {
        self.current?.close()
    }

    /// Bytes on disk in segments.
    var bytes: Int64 { self.writeOffset - (self.segments.first ?? self.writeOffset) }

    private func path(_ segment: Int64) -> String {
        (self.directory as NSString).appendingPathComponent(String(format: "%020lld.seg", segment))
    }

    private var offsetsPath: String { (self.directory as NSString).appendingPathComponent("offsets") }

    // MARK: Opening

    private func open() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.directory)) ?? []
        self.segments = names.compactMap { $0.hasSuffix(".seg") ? Int64($0.dropLast(4)) : nil }.sorted()
        let (read, _) = self.readOffsets() ?? (self.segments.first ?? 0, 0)
        // Segments wholly before the read offset were delivered.
        while self.segments.count > 1, self.segments[1] <= read {
            try? FileManager.default.removeItem(atPath: self.path(self.segments.removeFirst()))
        }
        self.readOffset = max(read, self.segments.first ?? read)
        var end = self.segments.first ?? self.readOffset
        for (index, segment) in self.segments.enumerated() {
            let file = try QueueFile.open(self.path(segment), create: false)
            let size = file.size
            // The segment holding the read offset is read from there: records before it were delivered.
            var position = min(max(segment, self.readOffset), segment + size)
            while position < segment + size {
                guard let record = try self.readRecord(file, segment: segment, at: position, limit: segment + size) else {
                    // Torn or corrupt: the segment ends here.
                    self.recovery.truncations += 1
                    self.recovery.bytesTruncated += segment + size - position
                    try file.truncate(to: position - segment)
                    try file.sync()
                    break
                }
                if record.offset >= self.readOffset {
                    self.stored.append(record)
                    self.pendingSamples += record.samples
                }
                position = record.end
            }
            end = position
            if index == self.segments.count - 1 { self.current = file } else { file.close() }
        }
        if self.segments.isEmpty {
            self.segments = [self.readOffset]
            self.current = try QueueFile.open(self.path(self.readOffset), create: true)
            end = self.readOffset
        }
        self.writeOffset = end
        self.readOffset = min(self.readOffset, end)
        self.recovery.records = self.stored.count
        self.lastRound = self.stored.last?.round ?? 0
        try self.writeOffsets()
    }

    /// The record at `position`, or `nil` when it is cut short or its checksum fails.
    private func readRecord(_ file: QueueFile, segment: Int64, at position: Int64, limit: Int64) throws -> Record? {
        guard limit - position >= Int64(Self.headerBytes + Self.metadataBytes) else { return nil }
        let header = try file.read(Self.headerBytes, at: position - segment)
        let length = Int(Self.uint32(header, 0))
        let checksum = Self.uint32(header, 4)
        guard length >= Self.metadataBytes, Int64(Self.headerBytes + length) <= limit - position else { return nil }
        let payload = try file.read(length, at: position - segment + Int64(Self.headerBytes))
        guard payload.count == length, payload.withUnsafeBytes(CRC32.checksum) == checksum else { return nil }
        return Record(
            offset: position, end: position + Int64(Self.headerBytes + length), round: Self.uint64(payload, 0),
            timestamp: Int64(bitPattern: Self.uint64(payload, 8)), samples: Int(Self.uint32(payload, 16)))
    }

    private func readOffsets() -> (Int64, Int64)? {
        guard let data = FileManager.default.contents(atPath: self.offsetsPath), data.count == 20 else { return nil }
        let bytes = [UInt8](data)
        guard bytes[0..<16].withUnsafeBytes(CRC32.checksum) == Self.uint32(bytes, 16) else { return nil }
        return (Int64(bitPattern: Self.uint64(bytes, 0)), Int64(bitPattern: Self.uint64(bytes, 8)))
    }

    private func writeOffsets() throws {
        var bytes: [UInt8] = []
        Self.append(UInt64(bitPattern: self.readOffset), to: &bytes)
        Self.append(UInt64(bitPattern: self.writeOffset), to: &bytes)
        Self.append(bytes.withUnsafeBytes(CRC32.checksum), to: &bytes)
        try QueueFile.replace(self.offsetsPath, with: bytes, directory: self.directory)
    }

    // MARK: Writing

    /// Appends one round's requests and makes them durable. A round number not above the last one
    /// (the clock stepped back) is raised past it, so rounds never merge into one.
    /// - Returns: Samples of older records dropped to stay within the budget.
    @discardableResult
    func append(_ blocks: [RoundEncoder.Block], round: UInt64, timestamp: Int64) throws -> Int {
        guard !blocks.isEmpty else { return 0 }
        let round = max(round, self.lastRound + 1)
        var encoded: [UInt8] = []
        var added: [Record] = []
        var position = self.writeOffset
        for block in blocks {
            var payload: [UInt8] = []
            payload.reserveCapacity(Self.metadataBytes + block.payload.count)
            Self.append(round, to: &payload)
            Self.append(UInt64(bitPattern: timestamp), to: &payload)
            Self.append(UInt32(block.samples), to: &payload)
            payload += block.payload
            Self.append(UInt32(payload.count), to: &encoded)
            Self.append(payload.withUnsafeBytes(CRC32.checksum), to: &encoded)
            encoded += payload
            let end = position + Int64(Self.headerBytes + payload.count)
            added.append(Record(offset: position, end: end, round: round, timestamp: timestamp, samples: block.samples))
            position = end
        }
        if self.writeOffset - self.segments.last! + Int64(encoded.count) > self.segmentBytes, self.writeOffset > self.segments.last! {
            // The new segment first: if it cannot be made, the current one stays open and in use.
            let next = try QueueFile.open(self.path(self.writeOffset), create: true)
            try self.current?.sync()
            self.current?.close()
            self.segments.append(self.writeOffset)
            self.current = next
        }
        // After the rollover, so every older segment, the one written until now too, can make room.
        let dropped = try self.makeRoom(for: Int64(encoded.count))
        try self.current!.write(encoded, at: self.writeOffset - self.segments.last!)
        try self.current!.sync()
        self.stored += added
        self.pendingSamples += added.reduce(0) { $0 + $1.samples }
        self.writeOffset = position
        self.lastRound = round
        try self.writeOffsets()
        return dropped
    }

    /// Drops the oldest segments until `incoming` more bytes fit in the budget.
    /// - Returns: Samples of the dropped records the sender did not hold yet.
    private func makeRoom(for incoming: Int64) throws -> Int {
        var dropped = 0
        while self.segments.count > 1, self.bytes + incoming > self.maxBytes {
            let oldest = self.segments.removeFirst()
            let next = self.segments[0]
            dropped += self.dropRecords(before: next).unsent
            self.readOffset = max(self.readOffset, next)
            try? FileManager.default.removeItem(atPath: self.path(oldest))
        }
        if dropped > 0 { try self.writeOffsets() }
        return dropped
    }

    // MARK: Reading

    /// What to send next: the oldest unacknowledged round's records and their requests, or, when
    /// rounds of one request each are waiting (a backlog), as many of them as fit together in
    /// `maxSamples` samples, for the sender to merge into one request.
    /// `rounds` says how many rounds the records hold: more than one only when each is one request.
    func nextBatch(maxSamples: Int) throws -> (records: [(record: Record, payload: [UInt8])], rounds: Int) {
        let records = self.records
        guard let first = records.first else { return ([], 0) }
        func alone(_ index: Int) -> Bool { index + 1 == records.endIndex || records[index + 1].round != records[index].round }
        var end = records.firstIndex { $0.round != first.round } ?? records.endIndex
        var rounds = 1
        if alone(records.startIndex) {
            var samples = first.samples
            while end < records.endIndex, alone(end), samples + records[end].samples <= maxSamples {
                samples += records[end].samples
                end += 1
                rounds += 1
            }
        }
        let read = try records[..<end].map { record in
            let segment = self.segments.last { $0 <= record.offset }!
            let file = segment == self.segments.last ? self.current! : try QueueFile.open(self.path(segment), create: false)
            defer { if segment != self.segments.last { file.close() } }
            let start = Int64(Self.headerBytes + Self.metadataBytes)
            return (record, try file.read(Int(record.end - record.offset - start), at: record.offset - segment + start))
        }
        self.sendingEnd = max(self.sendingEnd, read.last?.0.end ?? 0)
        return (read, rounds)
    }

    /// Everything before `end` was delivered (or given up): it is not sent again, even after a restart.
    func acknowledge(upTo end: Int64) throws {
        guard end > self.readOffset else { return }
        self.readOffset = min(end, self.writeOffset)
        self.dropRecords(before: self.readOffset)
        while self.segments.count > 1, self.segments[1] <= self.readOffset {
            try? FileManager.default.removeItem(atPath: self.path(self.segments.removeFirst()))
        }
        try self.writeOffsets()
    }

    /// Forgets the records that start before `offset`.
    /// - Returns: Their samples, and of those the ones not handed to the sender yet.
    @discardableResult
    private func dropRecords(before offset: Int64) -> (samples: Int, unsent: Int) {
        var samples = 0
        var unsent = 0
        while self.head < self.stored.count, self.stored[self.head].offset < offset {
            samples += self.stored[self.head].samples
            if self.stored[self.head].offset >= self.sendingEnd { unsent += self.stored[self.head].samples }
            self.head += 1
        }
        self.pendingSamples -= samples
        if self.head > 1024, self.head * 2 > self.stored.count {
            self.stored.removeFirst(self.head)
            self.head = 0
        }
        return (samples, unsent)
    }

    // MARK: Bytes

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func uint64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << UInt64($1 * 8) }
    }

    private static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << UInt32($1 * 8) }
    }
}
