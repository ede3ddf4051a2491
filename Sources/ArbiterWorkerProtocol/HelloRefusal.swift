/// Why a connection's first message was not taken as the worker's `hello`: `code` is the protocol's
/// error code, `message` says what to fix. The server sends it as an `error` and closes the
/// connection (1008).
public struct HelloRefusal: Error, Equatable, Sendable {
    /// `hello_required`, `unsupported_protocol` or `invalid_hello`.
    public let code: String
    /// What is wrong, naming the field.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The first message is not a `hello` at all.
    public static func helloRequired(_ message: String) -> Self { .init(code: "hello_required", message: message) }
    /// A `hello` for a protocol version this side does not speak.
    public static func unsupportedProtocol(_ message: String) -> Self { .init(code: "unsupported_protocol", message: message) }
    /// A `hello` with a field missing or wrong.
    public static func invalidHello(_ message: String) -> Self { .init(code: "invalid_hello", message: message) }
}
