import CSnappy

/// Snappy's block format (not the framed one), as remote write requires, through Debian's libsnappy.
public enum Snappy {
    /// Compresses `input`.
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        var length = snappy_max_compressed_length(input.count)
        var output = [UInt8](repeating: 0, count: length)
        let status = output.withUnsafeMutableBytes { out in
            snappy_compress(input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                            out.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
        }
        precondition(status == SNAPPY_OK, "snappy_compress cannot fail with a buffer of snappy_max_compressed_length")
        output.removeLast(output.count - length)
        return output
    }

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { self.compress($0) }
    }

    /// Uncompresses a block, or `nil` when it is not valid snappy.
    public static func uncompress(_ input: [UInt8]) -> [UInt8]? {
        input.withUnsafeBytes { raw -> [UInt8]? in
            let source = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            var length = 0
            guard snappy_uncompressed_length(source, raw.count, &length) == SNAPPY_OK, length <= 1 << 30 else { return nil }
            var output = [UInt8](repeating: 0, count: length)
            let status = output.withUnsafeMutableBytes { out in
                snappy_uncompress(source, raw.count, out.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
            }
            return status == SNAPPY_OK ? Array(output.prefix(length)) : nil
        }
    }
}
