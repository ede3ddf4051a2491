import ArbiterCore
import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// Opens libpq connections without blocking past a deadline: `PQconnectStartParams`, then
/// `PQconnectPoll` driven by `poll()` on the socket. libpq's own blocking connect would honour
/// `connect_timeout` too, but could not be given up when the store closes, and reports a refusal only
/// as text: here the errors are asked for in verbose form while connecting, so a refusal carries the
/// server's SQLSTATE.
enum PostgresConnector {
    /// Connects, waiting at most `connect_timeout` in all (however many hosts the string lists).
    static func connect(_ configuration: PostgresConfiguration, passwords: [String], isCancelled: () -> Bool) throws(PostgresError) -> OpaquePointer {
        let target = configuration.redacted
        let (keywords, values, timeout) = try self.parameters(configuration, target: target, passwords: passwords)
        let started = self.withCStrings(keywords) { keywords in
            self.withCStrings(values) { values in PQconnectStartParams(keywords, values, 0) }
        }
        guard let handle = started else {
            throw PostgresError(sqlState: PostgresError.ClientState.cannotConnect, message: "cannot connect to \(target): out of memory", connectionBroken: true)
        }
        do throws(PostgresError) {
            guard PQstatus(handle) != CONNECTION_BAD else { throw self.failure(handle, target: target, passwords: passwords) }
            PQsetErrorVerbosity(handle, PQERRORS_VERBOSE)
            let deadline = timeout.map { ContinuousClock.now + $0 }
            // Before the first PQconnectPoll, libpq asks to wait until the socket is writable.
            var status = PGRES_POLLING_WRITING
            while status != PGRES_POLLING_OK {
                switch status {
                case PGRES_POLLING_FAILED:
                    throw self.failure(handle, target: target, passwords: passwords)
                case PGRES_POLLING_READING, PGRES_POLLING_WRITING:
                    try self.wait(handle, writing: status == PGRES_POLLING_WRITING, until: deadline, target: target, isCancelled: isCancelled)
                default:
                    break
                }
                status = PQconnectPoll(handle)
            }
            PQsetErrorVerbosity(handle, PQERRORS_DEFAULT)
            // libpq prints the server's notices on stderr by default ("relation … already exists,
            // skipping"); the store has no use for them.
            PQsetNoticeProcessor(handle, { _, _ in }, nil)
            return handle
        } catch {
            PQfinish(handle)
            throw error
        }
    }

    /// Checks that libpq can read the connection string, without connecting.
    static func validate(_ configuration: PostgresConfiguration) throws(PostgresError) {
        _ = try self.parameters(
            configuration, target: configuration.redacted, passwords: ConnectionString.passwords(in: configuration.connectionString))
    }

    /// The connection string read by libpq, with Arbiter's defaults for what it leaves out.
    private static func parameters(
        _ configuration: PostgresConfiguration, target: String, passwords: [String]
    ) throws(PostgresError) -> (keywords: [String], values: [String], timeout: Duration?) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(configuration.connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(errorMessage)
            throw PostgresError(
                sqlState: PostgresError.ClientState.badConnectionString,
                message: "the connection string \(target) cannot be read: \(ConnectionString.scrub(self.trimmed(message), passwords: passwords))")
        }
        defer { PQconninfoFree(options) }
        var given: [(String, String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { given.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        func isGiven(_ keyword: String) -> Bool { given.contains { $0.0 == keyword } }
        let timeout: Duration?
        if let text = given.first(where: { $0.0 == "connect_timeout" })?.1, let seconds = Int(text.trimmingSpaces) {
            // libpq's reading: zero or less waits for ever, and one second is taken as two.
            timeout = seconds <= 0 ? nil : .seconds(max(seconds, 2))
        } else {
            timeout = configuration.connectTimeout
            let seconds = max(Int((configuration.connectTimeout.components.seconds)), 1)
            given.append(("connect_timeout", String(seconds)))
        }
        for (keyword, value) in configuration.defaultParameters.sorted(by: { $0.key < $1.key }) where !isGiven(keyword) {
            given.append((keyword, value))
        }
        if !isGiven("fallback_application_name") { given.append(("fallback_application_name", configuration.applicationName)) }
        // Text crosses the connection as UTF-8, as Swift strings are.
        if !isGiven("client_encoding") { given.append(("client_encoding", "UTF8")) }
        return (given.map(\.0), given.map(\.1), timeout)
    }

    private static func wait(
        _ handle: OpaquePointer, writing: Bool, until deadline: ContinuousClock.Instant?, target: String, isCancelled: () -> Bool
    ) throws(PostgresError) {
        while true {
            guard !isCancelled() else {
                throw PostgresError(sqlState: PostgresError.ClientState.cannotConnect, message: "connecting to \(target) was given up", connectionBroken: true)
            }
            var slice: Int32 = 250
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else {
                    throw PostgresError(
                        sqlState: PostgresError.ClientState.cannotConnect, message: "cannot connect to \(target): no answer within the connect timeout",
                        connectionBroken: true)
                }
                slice = Int32(clamping: min(max(remaining.wholeMilliseconds, 1), 250))
            }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(writing ? POLLOUT : POLLIN), revents: 0)
            // No socket yet, or a poll error: PQconnectPoll says what happened.
            guard descriptor.fd >= 0 else { return }
            let ready = poll(&descriptor, 1, slice)
            if ready > 0 || (ready < 0 && errno != EINTR) { return }
        }
    }

    /// The refusal as a ``PostgresError``: the SQLSTATE out of libpq's verbose text (`FATAL:  28P01: …`),
    /// the text without it and without its `LOCATION:` lines.
    private static func failure(_ handle: OpaquePointer, target: String, passwords: [String]) -> PostgresError {
        let text = PQerrorMessage(handle).map { String(cString: $0) } ?? ""
        var sqlState: String?
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("LOCATION:") { continue }
            var kept = String(line)
            for severity in ["FATAL:  ", "ERROR:  ", "PANIC:  "] {
                guard let range = kept.firstRange(of: severity) else { continue }
                let code = kept[range.upperBound...].prefix(7)
                if code.count == 7, code.hasSuffix(": "), code.prefix(5).allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) {
                    sqlState = String(code.prefix(5))
                    kept.removeSubrange(range.upperBound..<kept.index(range.upperBound, offsetBy: 7))
                }
            }
            lines.append(self.trimmed(kept))
        }
        let message = lines.filter { !$0.isEmpty }.joined(separator: "; ")
        return PostgresError(
            sqlState: sqlState ?? PostgresError.ClientState.cannotConnect,
            message: "cannot connect to \(target): \(ConnectionString.scrub(message.isEmpty ? "no message" : message, passwords: passwords))",
            connectionBroken: true)
    }

    private static func trimmed(_ text: String) -> String {
        var text = text
        while text.last?.isWhitespace == true { text.removeLast() }
        while text.first?.isWhitespace == true { text.removeFirst() }
        return text
    }

    /// Calls `body` with `strings` as a NULL-terminated array of C strings.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { UnsafePointer(strdup($0)) } + [nil]
        defer { for copy in copies { free(UnsafeMutablePointer(mutating: copy)) } }
        return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        self.drop { $0 == " " }
    }
}
