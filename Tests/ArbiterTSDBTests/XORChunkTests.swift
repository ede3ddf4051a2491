@testable import ArbiterTSDB
import Testing

/// The Gorilla chunk: every sample comes back bit for bit, whatever the timestamps and values, and a
/// steady series costs under two bytes a sample.
@Suite struct XORChunkTests {
    @discardableResult
    func roundTrip(_ samples: [(Int64, Double)], encoding: XORChunk.ValueEncoding? = .xor) -> XORChunk {
        var chunk = XORChunk(encoding: encoding)
        for (timestamp, value) in samples {
            let accepted = chunk.append(timestamp, value)
            #expect(accepted)
        }
        let decoded = chunk.samples()
        #expect(decoded.count == samples.count)
        for (index, (expected, got)) in zip(samples, decoded).enumerated() {
            #expect(got.timestamp == expected.0, "timestamp \(index)")
            #expect(got.value.bitPattern == expected.1.bitPattern, "value \(index): \(got.value) != \(expected.1)")
        }
        return chunk
    }

    @Test func regularSamplesOfASteadySeriesTakeUnderTwoBytesEach() {
        let counter: [(Int64, Double)] = (0..<120).map { index in (1_700_000_000_000 + Int64(index) * 5000, Double(index * 3)) }
        let chunk = self.roundTrip(counter)
        let bytesPerSample = Double(chunk.byteCount) / 120
        #expect(bytesPerSample < 2, "\(chunk.byteCount) bytes")
        let constant: [(Int64, Double)] = (0..<120).map { index in (1_700_000_000_000 + Int64(index) * 5000, 42.0) }
        // 17 bytes of header, then 2 bits a sample.
        #expect(self.roundTrip(constant).byteCount <= 17 + (118 * 2 + 7) / 8)
    }

    @Test func wholeNumberedValuesTakeTheIntegerEncodingAndAboutOneByteASample() {
        var generator = SplitMix(seed: 7)
        var value = 1000.0
        let counter: [(Int64, Double)] = (0..<120).map { index in
            value += Double(generator.next() % 11)
            return (1_700_000_000_000 + Int64(index) * 5000, value)
        }
        let chunk = self.roundTrip(counter, encoding: nil)
        #expect(chunk.encoding == .integer)
        #expect(Double(chunk.byteCount) / 120 < 1.4, "\(chunk.byteCount) bytes")
        #expect(Double(self.roundTrip(counter, encoding: .xor).byteCount) > Double(chunk.byteCount) * 1.2)
        // Every integer bucket and its edges, and the largest exact integers.
        var values: [Double] = [0, 1]
        for dod: Double in [0, 63, 64, 65, -63, -64, 4095, 4096, 4097, -4096, 524_288, -524_289, 1e12, -1e12, 7, 0] {
            values.append(values[values.count - 1] + (values[values.count - 1] - values[values.count - 2]) + dod)
        }
        values += [9_007_199_254_740_992, -9_007_199_254_740_992, 0]
        self.roundTrip(values.enumerated().map { (Int64($0.offset) * 1000, $0.element) }, encoding: .integer)
    }

    @Test func anIntegerChunkRefusesFractionsNegativeZeroAndStaleness() {
        for refused in [0.5, -0.0, .nan, StaleNaN.value, .infinity, 1e300] {
            var chunk = XORChunk()
            let first = chunk.append(0, 3)
            #expect(first && chunk.encoding == .integer)
            let second = chunk.append(1000, refused)
            #expect(!second)
            #expect(chunk.count == 1)
        }
    }

    @Test func specialValuesSurvive() {
        let values: [Double] = [0, -0.0, .infinity, -.infinity, .nan, StaleNaN.value, 1e-300, -1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1, 1]
        self.roundTrip(values.enumerated().map { (Int64($0.offset * 1000), $0.element) })
        #expect(StaleNaN.isStale(StaleNaN.value) && !StaleNaN.isStale(.nan))
    }

    @Test func everyDeltaOfDeltaBucketAndItsEdges() {
        var timestamps: [Int64] = [1000, 2000]
        for dod: Int64 in [0, 1, -1, 8191, -8191, 8192, 8193, -8192, 65535, 65536, -65535, -65536, 65537, 524287, 524288, -524287, -524288,
                           524289, 1 << 40, -(1 << 39), 7, 0, 0] {
            let delta = timestamps[timestamps.count - 1] - timestamps[timestamps.count - 2]
            timestamps.append(timestamps[timestamps.count - 1] + delta + dod)
        }
        self.roundTrip(timestamps.enumerated().map { ($0.element, Double($0.offset)) })
    }

    @Test func randomSeriesRoundTrip() {
        var generator = SplitMix(seed: 2026)
        for _ in 0..<200 {
            var timestamp = Int64(generator.next() % 1_000_000_000_000)
            var value = Double(generator.next() % 1000)
            var samples: [(Int64, Double)] = []
            for _ in 0..<XORChunk.capacity {
                switch generator.next() % 4 {
                case 0: timestamp += 5000
                case 1: timestamp += Int64(generator.next() % 100_000)
                case 2: timestamp += Int64(generator.next() % (1 << 30))
                default: timestamp += 5000 + Int64(generator.next() % 7) - 3
                }
                switch generator.next() % 5 {
                case 0: break
                case 1: value += 1
                case 2: value = Double(bitPattern: generator.next())
                case 3: value *= 1.0001
                default: value = Double(Int64(bitPattern: generator.next()) % 1_000_000) / 7
                }
                samples.append((timestamp, value))
            }
            self.roundTrip(samples)
        }
    }
}

/// A small deterministic generator for repeatable random tests.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
