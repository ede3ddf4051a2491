/// Bytes rendered once (a series' name and labels, a bucket's `le`) and copied into every scrape with
/// one `memcpy`. The memory belongs to a ``SeriesArena``.
// Safety (@unchecked Sendable): the bytes are written once before the view is shared and never again.
struct FixedText: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int

    /// Copies the bytes to `destination` and returns how many were written.
    @inline(__always)
    func write(to destination: UnsafeMutablePointer<UInt8>) -> Int {
        destination.update(from: self.base, count: self.count)
        return self.count
    }
}
