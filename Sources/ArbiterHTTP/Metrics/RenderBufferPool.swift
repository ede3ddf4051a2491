import Synchronization

/// Output buffers kept between scrapes, so a render does not grow a new buffer from nothing.
///
/// Concurrent scrapes each take their own buffer; none waits for another.
final class RenderBufferPool: Sendable {
    private let buffers = Mutex<[[UInt8]]>([])
    private let maxKept: Int

    init(maxKept: Int = 4) {
        self.maxKept = maxKept
    }

    func withBuffer<T>(_ body: (inout [UInt8]) throws -> T) rethrows -> T {
        var buffer = self.buffers.withLock { $0.popLast() } ?? []
        buffer.removeAll(keepingCapacity: true)
        defer {
            self.buffers.withLock { if $0.count < self.maxKept { $0.append(buffer) } }
        }
        return try body(&buffer)
    }
}
