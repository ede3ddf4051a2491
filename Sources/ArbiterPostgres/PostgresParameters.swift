/// Statement parameters laid out as libpq takes them: one buffer per value, with lengths and formats.
/// Text goes in text form; a `bytea` goes in binary form, so its bytes need no escaping.
struct PostgresParameters: ~Copyable {
    private var buffers: [UnsafeMutablePointer<CChar>?]
    private var lengths: [Int32]
    private var formats: [Int32]

    /// - Throws: ``PostgresError`` for text holding U+0000, which PostgreSQL's text cannot store (libpq
    ///   would cut the value short there instead).
    init(_ values: [PostgresValue]) throws(PostgresError) {
        // Everything that can throw happens before anything is allocated.
        var encoded: [(bytes: [UInt8]?, binary: Bool)] = []
        encoded.reserveCapacity(values.count)
        for value in values { encoded.append(try Self.encode(value)) }
        self.buffers = encoded.map { value in
            guard let bytes = value.bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: source.count) }
            }
            buffer[bytes.count] = 0
            return buffer
        }
        self.lengths = encoded.map { Int32(clamping: $0.bytes?.count ?? 0) }
        self.formats = encoded.map { $0.binary ? 1 : 0 }
    }

    deinit {
        for buffer in self.buffers { buffer?.deallocate() }
    }

    var count: Int32 { Int32(self.buffers.count) }

    /// Calls `body` with the value, length and format arrays (`nil` when there are no parameters).
    func withArrays<R>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        guard !self.buffers.isEmpty else { return body(nil, nil, nil) }
        let values = self.buffers.map { UnsafePointer($0) }
        return values.withUnsafeBufferPointer { values in
            self.lengths.withUnsafeBufferPointer { lengths in
                self.formats.withUnsafeBufferPointer { formats in
                    body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                }
            }
        }
    }

    private static func encode(_ value: PostgresValue) throws(PostgresError) -> (bytes: [UInt8]?, binary: Bool) {
        switch value {
        case .null: return (nil, false)
        case .text(let text):
            let bytes = Array(text.utf8)
            guard !bytes.contains(0) else {
                throw PostgresError(
                    sqlState: PostgresError.ClientState.badCharacter, message: "text holding the character U+0000 cannot be stored in PostgreSQL")
            }
            return (bytes, false)
        case .int64(let integer): return (Array(String(integer).utf8), false)
        case .bool(let flag): return (Array((flag ? "t" : "f").utf8), false)
        case .bytea(let bytes): return (bytes, true)
        }
    }
}
