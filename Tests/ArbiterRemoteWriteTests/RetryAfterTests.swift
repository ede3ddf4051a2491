@testable import ArbiterRemoteWrite
import Foundation
import Testing

@Suite struct RetryAfterTests {
    @Test func aReceiversWaitIsHonouredUpToAnHour() {
        #expect(RemoteWriteClient.retryAfter("30") == .seconds(30))
        #expect(RemoteWriteClient.retryAfter("9223372036854775807") == .seconds(3600))
        #expect(RemoteWriteClient.retryAfter("0") == nil && RemoteWriteClient.retryAfter("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RemoteWriteClient.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == .seconds(3600))
    }
}
