@testable import ArbiterRedis
import Testing

/// Commands go out as arrays of bulk strings counted in bytes, so any text is sent as it is.
@Suite struct RedisCommandEncoderTests {
    @Test func argumentsAreCountedInBytes() {
        let bytes = RedisCommandEncoder.encode([["SET", "k", "é\r\n"], ["PING"]])
        #expect(String(decoding: bytes, as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\né\r\n\r\n*1\r\n$4\r\nPING\r\n")
    }

    @Test func aScriptIsNamedByTheSHA1OfItsSource() {
        #expect(RedisScript("return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }
}
