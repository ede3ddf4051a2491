extension String {
    /// The longest prefix of at most `limit` bytes of UTF-8 that ends between two Unicode scalars (so
    /// it is still valid UTF-8): how a long error text is cut to what a record or a frame takes.
    public func utf8Prefix(maxBytes limit: Int) -> String {
        var used = 0
        for scalar in self.unicodeScalars {
            let width = UTF8.width(scalar)
            if used + width > limit { break }
            used += width
        }
        return String(decoding: self.utf8.prefix(used), as: UTF8.self)
    }
}
