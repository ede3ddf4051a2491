/// Rounds waiting in the buffer go out together: protobuf encodes a message as the concatenation of
/// its fields, so requests placed end to end, uncompressed, are one `WriteRequest` holding all their
/// series in order. Each series' samples stay in timestamp order, as the rounds were.
enum RequestMerge {
    /// One compressed request with the series of all of `payloads`; `nil` when one is not snappy.
    static func merge(_ payloads: [[UInt8]]) -> [UInt8]? {
        var raw: [UInt8] = []
        for payload in payloads {
            guard let bytes = Snappy.uncompress(payload) else { return nil }
            raw += bytes
        }
        return Snappy.compress(raw)
    }
}
