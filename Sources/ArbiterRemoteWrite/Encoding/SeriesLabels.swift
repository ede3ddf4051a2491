import ArbiterTSDB
import CArbiterProto
import Glibc

/// One series' labels as protobuf-c `Label` messages, built once and reused by every request that
/// carries the series (remote write sends the full label set with each one). The messages, the
/// pointers to them and the strings share one allocation.
final class SeriesLabels {
    let count: Int
    /// `count` pointers to the messages, as `TimeSeries.labels` wants them.
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Label>?>
    private let memory: UnsafeMutableRawPointer
    /// Bytes this holds, for the label cache's accounting.
    let bytes: Int

    /// - Parameter pairs: Sorted by name, unique, none empty.
    init(_ pairs: [(name: String, value: String)]) {
        self.count = pairs.count
        let messageBytes = pairs.count * MemoryLayout<Prometheus__Label>.stride
        let pointerBytes = pairs.count * MemoryLayout<UnsafeMutablePointer<Prometheus__Label>?>.stride
        let textBytes = pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 }
        self.bytes = messageBytes + pointerBytes + textBytes
        self.memory = .allocate(byteCount: max(1, self.bytes), alignment: MemoryLayout<Prometheus__Label>.alignment)
        let messages = self.memory.bindMemory(to: Prometheus__Label.self, capacity: pairs.count)
        self.pointers = (self.memory + messageBytes).bindMemory(to: UnsafeMutablePointer<Prometheus__Label>?.self, capacity: pairs.count)
        var cursor = (self.memory + messageBytes + pointerBytes).bindMemory(to: CChar.self, capacity: textBytes)
        func copy(_ string: String) -> UnsafeMutablePointer<CChar> {
            let start = cursor
            for byte in string.utf8 {
                cursor.pointee = CChar(bitPattern: byte)
                cursor += 1
            }
            cursor.pointee = 0
            cursor += 1
            return start
        }
        for (index, pair) in pairs.enumerated() {
            let message = messages + index
            prometheus__label__init(message)
            message.pointee.name = copy(pair.name)
            message.pointee.value = copy(pair.value)
            self.pointers[index] = message
        }
    }

    deinit {
        self.memory.deallocate()
    }

    /// Whether these are exactly `labels` (names and values, in order).
    func equals(_ labels: Labels) -> Bool {
        guard labels.pairs.count == self.count else { return false }
        for (index, pair) in labels.pairs.enumerated() {
            let message = self.pointers[index]!.pointee
            guard Self.same(pair.name, message.name), Self.same(pair.value, message.value) else { return false }
        }
        return true
    }

    private static func same(_ string: String, _ text: UnsafeMutablePointer<CChar>) -> Bool {
        var cursor = text
        for byte in string.utf8 {
            guard cursor.pointee != 0, UInt8(bitPattern: cursor.pointee) == byte else { return false }
            cursor += 1
        }
        return cursor.pointee == 0
    }
}
