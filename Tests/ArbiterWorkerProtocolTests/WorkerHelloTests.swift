import ArbiterWorkerProtocol
import Testing

/// A connection's first message is told apart as docs/worker-protocol.md says: not a hello at all,
/// a hello of another protocol version, or a hello with a field missing or wrong.
@Suite struct WorkerHelloTests {
    func code(_ text: String) -> String? {
        do {
            _ = try WorkerMessage.parseHello(text)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aValidHelloIsRead() throws {
        let hello = try WorkerMessage.parseHello(#"{"type":"hello","protocol":1,"capabilities":["mail"],"concurrency":4,"unknown":"ignored"}"#)
        #expect(hello == .workerHello(capabilities: ["mail"], concurrency: 4, labels: [:], running: nil))
    }

    @Test(arguments: [
        (#"{"type":"heartbeat"}"#, "hello_required"),
        ("not json", "hello_required"),
        ("[1]", "hello_required"),
        (#"{"protocol":1,"capabilities":["mail"]}"#, "hello_required"),
        (#"{"type":"hello","protocol":1,"worker_id":"w1","heartbeat_interval_ms":5000,"lease_timeout_ms":30000}"#, "hello_required"),
        (#"{"type":"hello","protocol":2,"capabilities":["mail"]}"#, "unsupported_protocol"),
        (#"{"type":"hello","protocol":0,"capabilities":["mail"]}"#, "unsupported_protocol"),
        (#"{"type":"hello","capabilities":["mail"]}"#, "invalid_hello"),
        (#"{"type":"hello","protocol":"1","capabilities":["mail"]}"#, "invalid_hello"),
        (#"{"type":"hello","protocol":true,"capabilities":["mail"]}"#, "invalid_hello"),
        (#"{"type":"hello","protocol":1}"#, "invalid_hello"),
        (#"{"type":"hello","protocol":1,"capabilities":"mail"}"#, "invalid_hello"),
        (#"{"type":"hello","protocol":1,"capabilities":["mail"],"labels":{"zone":1}}"#, "invalid_hello"),
    ])
    func eachRefusalHasItsCode(_ text: String, _ expected: String) {
        #expect(self.code(text) == expected, "\(text)")
    }

    @Test func theMessageNamesWhatToFix() {
        do {
            _ = try WorkerMessage.parseHello(#"{"type":"hello","protocol":3,"capabilities":["mail"]}"#)
            Issue.record("protocol 3 was accepted")
        } catch {
            #expect(error.message.contains("protocol 3") && error.message.contains("protocol 1"), "\(error.message)")
        }
        do {
            _ = try WorkerMessage.parseHello(#"{"type":"hello","protocol":1}"#)
            Issue.record("a hello without capabilities was accepted")
        } catch {
            #expect(error.message.contains("capabilities"), "\(error.message)")
        }
    }
}
