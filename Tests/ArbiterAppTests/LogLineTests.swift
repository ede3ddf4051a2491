@testable import ArbiterApp
import Foundation
import Testing

/// Log lines stay one line per event and parse back, whatever the message holds.
@Suite struct LogLineTests {
    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        var line = LogLine(format: .logfmt)
        line.add("level", "info")
        line.add("msg", "server started")
        line.add("path", "/x=y")
        line.add("empty", "")
        line.add("bad key", "a\"b\\c\nd")
        let text = String(decoding: line.finish(), as: UTF8.self)
        #expect(text == #"level=info msg="server started" path="/x=y" empty="" bad_key="a\"b\\c\nd""# + "\n")
    }

    @Test func jsonIsValidAndRoundTrips() throws {
        var line = LogLine(format: .json)
        line.add("msg", "tab\there \"quoted\" \u{1}")
        line.add("address", "127.0.0.1:3000")
        let bytes = line.finish()
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String]
        #expect(object?["msg"] == "tab\there \"quoted\" \u{1}")
        #expect(object?["address"] == "127.0.0.1:3000")
    }
}
