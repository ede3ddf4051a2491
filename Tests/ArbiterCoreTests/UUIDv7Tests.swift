import ArbiterCore
import Foundation
import Testing

@Suite struct UUIDv7Tests {
    @Test func idsAreVersion7AndSortByCreation() {
        let ids = (0..<10_000).map { _ in UUIDv7.generate() }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.count == 36)
            #expect(Array(id)[14] == "7")
            #expect("89ab".contains(Array(id)[19]))
        }
    }

    @Test func theTimestampLeadsTheId() {
        let later = WallClock.nowMilliseconds() + 60_000
        let id = UUIDv7.generate(now: later)
        let hex = String(later, radix: 16)
        let expected = String(repeating: "0", count: 12 - hex.count) + hex
        #expect(id.replacingOccurrences(of: "-", with: "").hasPrefix(expected))
    }
}
