import NIOCore

extension ByteBuffer {
    /// Reserves `maxBytes`, lets `body` write straight into the buffer's memory and keeps what it wrote.
    @inline(__always)
    mutating func writeExposition(maxBytes: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: maxBytes) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}
