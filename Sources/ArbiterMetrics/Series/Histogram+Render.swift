extension Histogram {
    /// The text that never changes for one histogram series, rendered when the series is created.
    struct RenderedNames: Sendable {
        /// `name_bucket{labels,` (then `le="…"} ` comes from the buckets).
        let bucket: FixedText
        /// `name_sum{labels} `
        let sum: FixedText
        /// `name_count{labels} `
        let count: FixedText

        init(name: String, pairs: [UInt8], arena: SeriesArena) {
            var bucket = Array("\(name)_bucket{".utf8)
            if !pairs.isEmpty {
                bucket.append(contentsOf: pairs)
                bucket.append(UInt8(ascii: ","))
            }
            self.bucket = arena.store(bucket)
            self.sum = arena.store(LabelText.samplePrefix(name: name + "_sum", pairs: pairs))
            self.count = arena.store(LabelText.samplePrefix(name: name + "_count", pairs: pairs))
        }

        /// The most bytes one render of the series can take.
        func maxRenderedBytes(buckets: HistogramBuckets) -> Int {
            let lines = buckets.bounds.count + 1
            return lines * (self.bucket.count + buckets.labels.maxCount + NumberFormatting.maxLength)
                + self.sum.count + self.count.count + 2 * NumberFormatting.maxLength
        }
    }

    /// Writes the bucket, sum and count lines; `buffer` must have ``maxRenderedBytes`` free.
    func write(_ format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let labels = format == .text ? self.buckets.labels.text : self.buckets.labels.openMetrics
        var written = 0
        var running: UInt64 = 0
        for index in 0...self.boundCount {
            running &+= self.bucketCount(index)
            written += self.names.bucket.write(to: buffer + written)
            written += labels[index].write(to: buffer + written)
            written += Self.writeCount(running, format: format, to: buffer + written)
        }
        written += self.names.sum.write(to: buffer + written)
        written += NumberFormatting.writeSampleValue(self.sum, format: format, to: buffer + written)
        written += self.names.count.write(to: buffer + written)
        written += Self.writeCount(running, format: format, to: buffer + written)
        return written
    }

    /// Writes the histogram behind an unretained handle (the family's index keeps it alive).
    @inline(__always)
    static func write(handle: UnsafeMutableRawPointer, format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        Unmanaged<Histogram>.fromOpaque(handle)._withUnsafeGuaranteedRef { $0.write(format, to: buffer) }
    }

    /// Counts are integers in OpenMetrics; text 0.0.4 writes every value as a Go float.
    @inline(__always)
    private static func writeCount(_ count: UInt64, format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        switch format {
        case .text:
            return NumberFormatting.writeSampleValue(Double(count), format: .text, to: buffer)
        case .openMetrics:
            let digits = NumberFormatting.formatUnsigned(count, into: buffer)
            buffer[digits] = UInt8(ascii: "\n")
            return digits + 1
        }
    }
}
