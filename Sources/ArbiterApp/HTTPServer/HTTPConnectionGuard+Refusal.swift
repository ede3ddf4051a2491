import NIOCore
import NIOHTTP1

extension HTTPConnectionGuard {
    /// The answer to a request the HTTP decoder could not parse.
    enum Refusal: Equatable {
        /// 400: not HTTP/1.1 as RFC 9112 writes it; the parser's reason in words.
        case malformed(reason: String)
        /// 431: more header bytes or header fields than the decoder accepts.
        case headersTooLarge

        init(_ error: HTTPParserError) {
            switch error {
            case .headerOverflow: self = .headersTooLarge
            default: self = .malformed(reason: error.debugDescription)
            }
        }

        var status: HTTPResponseStatus {
            switch self {
            case .malformed: .badRequest
            case .headersTooLarge: .requestHeaderFieldsTooLarge
            }
        }

        /// The same `{"error":{"code","message"}}` shape the API answers with; there is no request id,
        /// as no request was read.
        var body: String {
            switch self {
            case .malformed(let reason):
                #"{"error":{"code":"malformed_request","message":"the request is not valid HTTP/1.1: \#(reason)"}}"#
            case .headersTooLarge:
                #"{"error":{"code":"headers_too_large","message":"the request's header fields are too large or too many"}}"#
            }
        }

        /// The response, which also tells the client the connection ends.
        func response() -> (head: HTTPResponseHead, body: ByteBuffer) {
            let body = ByteBuffer(string: self.body)
            let headers = HTTPHeaders([
                ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(body.readableBytes)), ("Connection", "close"),
            ])
            return (HTTPResponseHead(version: .http1_1, status: self.status, headers: headers), body)
        }
    }
}
