import Foundation

/// A plain TCP connection for sending bytes no HTTP client would send, and seeing whether and when
/// the server answers and closes.
///
/// The socket is non-blocking and waits by sleeping between attempts, so a test waiting on a silent
/// server never holds one of the few threads the test runner's tasks share.
public final class RawConnection {
    private var descriptor: Int32

    /// What was read, and how the reading ended.
    public struct Reply: Sendable {
        /// Every byte received.
        public let bytes: [UInt8]
        /// Whether the server closed (or reset) the connection.
        public let closed: Bool
        /// The bytes as text (invalid UTF-8 replaced).
        public var text: String { String(decoding: self.bytes, as: UTF8.self) }
        /// The first line, such as `HTTP/1.1 400 Bad Request`; empty when nothing arrived.
        public var statusLine: String { self.text.components(separatedBy: "\r\n").first ?? "" }
    }

    /// Connects to `host:port`.
    /// - Parameter address: An IPv4 address and port, as ``ArbiterServer/address``.
    /// - Throws: ``TestingError`` when the address is not IPv4 `host:port` or the connection fails.
    public init(address: String) throws {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw TestingError("not host:port: \(address)")
        }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(address[..<colon]), &target.sin_addr) == 1 else { throw TestingError("not an IPv4 address: \(address)") }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestingError("socket() failed: \(String(cString: strerror(errno)))") }
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            closeSocket(descriptor)
            throw TestingError("connect to \(address) failed: \(reason)")
        }
        #if !os(Linux)
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL, 0) | O_NONBLOCK)
        self.descriptor = descriptor
    }

    deinit {
        self.close()
    }

    /// Sends `text` as UTF-8.
    /// - Returns: Whether every byte went out (`false` once the server has closed or reset).
    @discardableResult
    public func send(_ text: String, timeout: Duration = .seconds(10)) async throws -> Bool {
        try await self.send(Array(text.utf8), timeout: timeout)
    }

    /// Sends `bytes`, waiting while the server's buffers are full.
    /// - Returns: Whether every byte went out (`false` once the server has closed or reset).
    /// - Throws: ``TestingError`` when the server stops reading for `timeout`.
    @discardableResult
    public func send(_ bytes: [UInt8], timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { buffer in
                sendBytes(self.descriptor, buffer.baseAddress!, buffer.count)
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                if ContinuousClock.now >= deadline { throw TestingError("the server read nothing for \(timeout)") }
                try await Task.sleep(for: .milliseconds(10))
            } else {
                return false
            }
        }
        return true
    }

    /// Reads until `enough` holds for what has arrived, the server closes, or `timeout` passes.
    /// - Returns: What arrived, and whether the server closed the connection.
    public func read(timeout: Duration, until enough: ([UInt8]) -> Bool = { _ in false }) async throws -> Reply {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                received += chunk[..<count]
                if enough(received) { return Reply(bytes: received, closed: false) }
            } else if count == 0 {
                return Reply(bytes: received, closed: true)
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                if ContinuousClock.now >= deadline { return Reply(bytes: received, closed: false) }
                try await Task.sleep(for: .milliseconds(20))
            } else {
                // A reset: the server closed without reading everything sent.
                return Reply(bytes: received, closed: true)
            }
        }
    }

    /// Reads until the server closes the connection, or `timeout` passes.
    public func readUntilClosed(timeout: Duration) async throws -> Reply {
        try await self.read(timeout: timeout)
    }

    /// Closes the connection (again is harmless).
    public func close() {
        guard self.descriptor >= 0 else { return }
        closeSocket(self.descriptor)
        self.descriptor = -1
    }
}

// At file scope, where the methods named `send` and `close` do not hide the C functions.

/// `send(2)` without SIGPIPE when the server has gone.
private func sendBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if os(Linux)
    return send(descriptor, bytes, count, Int32(MSG_NOSIGNAL))
    #else
    return send(descriptor, bytes, count, 0)
    #endif
}

private func closeSocket(_ descriptor: Int32) {
    _ = close(descriptor)
}
