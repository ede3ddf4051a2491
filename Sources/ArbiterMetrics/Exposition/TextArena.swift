import Synchronization

/// Append-only storage for the text series are rendered from, laid out in creation order.
///
/// A family's series are walked in creation order at every scrape; with their names and labels
/// side by side in large chunks, that walk reads memory sequentially instead of visiting one small
/// allocation per series, and nothing in it is reference counted.
///
/// - Important: Only one thread stores at a time (the family's lock). Bytes once stored never move
///   and live as long as the arena, which every series keeps a reference to.
// Safety (@unchecked Sendable): stores happen under the owner's lock; stored bytes are immutable and
// are published to readers through the series table's release/acquire counter.
final class TextArena: @unchecked Sendable {
    private static var chunkSize: Int { 64 * 1024 }

    private var chunks: [UnsafeMutablePointer<UInt8>] = []
    private var used = 0
    private var available = 0

    init() {}

    deinit {
        for chunk in self.chunks { chunk.deallocate() }
    }

    /// Copies `bytes` into the arena and returns a view of the copy.
    func store(_ bytes: [UInt8]) -> FixedText {
        if bytes.count > self.available {
            let size = max(Self.chunkSize, bytes.count)
            self.chunks.append(.allocate(capacity: size))
            self.used = 0
            self.available = size
        }
        let base = self.chunks[self.chunks.count - 1] + self.used
        base.initialize(from: bytes, count: bytes.count)
        self.used += bytes.count
        self.available -= bytes.count
        return FixedText(base: base, count: bytes.count)
    }
}
