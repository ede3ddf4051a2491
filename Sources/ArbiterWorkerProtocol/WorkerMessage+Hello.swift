import Foundation

extension WorkerMessage {
    /// Reads a connection's first message as the worker's `hello`, telling apart the three ways it can
    /// be refused: not a `hello` (`hello_required`), a `hello` of another protocol version
    /// (`unsupported_protocol`), a `hello` with a field missing or of the wrong type (`invalid_hello`).
    /// - Parameter text: The first text frame.
    /// - Returns: A ``WorkerMessage/workerHello(capabilities:concurrency:labels:running:)``.
    /// - Throws: ``HelloRefusal``.
    public static func parseHello(_ text: String) throws(HelloRefusal) -> WorkerMessage {
        let envelope: HelloEnvelope
        do {
            envelope = try JSONDecoder().decode(HelloEnvelope.self, from: Data(text.utf8))
        } catch {
            throw .helloRequired("the first message must be a JSON object: a hello with protocol \(WorkerProtocol.version)")
        }
        guard envelope.type == "hello", envelope.workerID == nil else {
            let got = envelope.workerID != nil ? "the server's hello" : envelope.type.map { "a message of type \($0)" } ?? "a message without a type"
            throw .helloRequired("the first message must be the worker's hello (protocol \(WorkerProtocol.version)), not \(got)")
        }
        switch envelope.protocolVersion {
        case nil:
            throw .invalidHello("protocol is required: the number \(WorkerProtocol.version)")
        case .integer(let version)? where version != Int64(WorkerProtocol.version):
            throw .unsupportedProtocol("protocol \(version) is not supported; this server speaks protocol \(WorkerProtocol.version)")
        case .integer?:
            break
        case .some:
            throw .invalidHello("protocol must be the number \(WorkerProtocol.version)")
        }
        let message: WorkerMessage
        do {
            message = try WorkerMessage.parse(text)
        } catch {
            throw .invalidHello("the hello could not be read: \(Self.describeDecodingError(error))")
        }
        guard case .workerHello = message else {
            throw .helloRequired("the first message must be the worker's hello (protocol \(WorkerProtocol.version))")
        }
        return message
    }

    /// A decoding error as the field at fault and what is wrong with it.
    public static func describeDecodingError(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// The two fields that say what a first message is, read before the rest.
private struct HelloEnvelope: Decodable {
    var type: String?
    var protocolVersion: JSONValue?
    /// Present in the server's hello only.
    var workerID: JSONValue?

    enum CodingKeys: String, CodingKey {
        case type, protocolVersion = "protocol", workerID = "worker_id"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.type = try? container.decodeIfPresent(String.self, forKey: .type)
        self.protocolVersion = try container.decodeIfPresent(JSONValue.self, forKey: .protocolVersion)
        self.workerID = try container.decodeIfPresent(JSONValue.self, forKey: .workerID)
    }
}
