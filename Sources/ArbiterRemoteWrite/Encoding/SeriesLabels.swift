import CArbiterProto
import Glibc

/// One series' labels as protobuf-c `Label` messages in one allocation, built once and reused by
/// every request that carries the series (remote write sends the full label set with each one).
final class SeriesLabels {
    let count: Int
    /// `count` pointers to the messages, as `TimeSeries.labels` wants them.
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Label>?>
    private let messages: UnsafeMutablePointer<Prometheus__Label>
    private let text: UnsafeMutablePointer<CChar>
    /// Bytes this holds, for the label cache's accounting.
    let bytes: Int

    /// - Parameter pairs: Sorted by name, unique, none empty.
    init(_ pairs: [(name: String, value: String)]) {
        self.count = pairs.count
        let textBytes = pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 }
        self.messages = .allocate(capacity: max(1, pairs.count))
        self.pointers = .allocate(capacity: max(1, pairs.count))
        self.text = .allocate(capacity: max(1, textBytes))
        self.bytes = pairs.count * (MemoryLayout<Prometheus__Label>.stride + 8) + textBytes
        var cursor = self.text
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
            let message = self.messages + index
            prometheus__label__init(message)
            message.pointee.name = copy(pair.name)
            message.pointee.value = copy(pair.value)
            self.pointers[index] = message
        }
    }

    deinit {
        self.messages.deallocate()
        self.pointers.deallocate()
        self.text.deallocate()
    }
}
