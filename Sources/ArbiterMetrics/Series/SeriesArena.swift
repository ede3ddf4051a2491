/// Append-only memory for counter and gauge records: each series' value cells followed by its
/// pre-rendered `name{labels} ` text, in creation order.
///
/// A scrape walks a family's records front to back, so it reads memory sequentially instead of
/// visiting one heap object per series, and touches no reference count. Records start on a cache
/// line and fill whole lines, so two series never share one: writers to neighbouring series do not
/// slow each other down.
///
/// - Important: Only one thread allocates at a time (the family's lock). Records never move and live
///   as long as the arena, which every series keeps a reference to.
// Safety (@unchecked Sendable): allocation happens under the owner's lock; a record's text is written
// once before the record is published, and its cells are only touched through atomics.
final class SeriesArena: @unchecked Sendable {
    static var lineSize: Int { 64 }
    private static var chunkSize: Int { 256 * 1024 }

    private var chunks: [UnsafeMutableRawPointer] = []
    private var used = 0
    private var available = 0

    init() {}

    deinit {
        for chunk in self.chunks { chunk.deallocate() }
    }

    /// Reserves a record of `header` bytes of cells followed by `text`, copies the text in and returns
    /// the record's address (cache-line aligned).
    func allocateRecord(header: Int, text: [UInt8]) -> UnsafeMutableRawPointer {
        let size = (header + text.count + Self.lineSize - 1) / Self.lineSize * Self.lineSize
        if size > self.available {
            let chunk = max(Self.chunkSize, size)
            self.chunks.append(.allocate(byteCount: chunk, alignment: Self.lineSize))
            self.used = 0
            self.available = chunk
        }
        let record = self.chunks[self.chunks.count - 1] + self.used
        self.used += size
        self.available -= size
        if !text.isEmpty {
            text.withUnsafeBytes { (record + header).copyMemory(from: $0.baseAddress!, byteCount: text.count) }
        }
        return record
    }

    /// Copies `text` into the arena and returns a view of the copy (for bucket labels and the like).
    func store(_ text: [UInt8]) -> FixedText {
        let record = self.allocateRecord(header: 0, text: text)
        return FixedText(base: record.assumingMemoryBound(to: UInt8.self), count: text.count)
    }
}
