/// Reads the URLs ``RedisConfiguration/init(url:)`` accepts. The password is found first, so that
/// every error names the URL with it hidden.
enum RedisURL {
    static let mask = "***"
    static let defaultPort = 6379

    struct Parsed {
        var endpoint: RedisEndpoint
        var database = 0
        var user: String?
        var password: String?
        var redacted: String
    }

    static func parse(_ url: String) throws(RedisError) -> Parsed {
        let redacted = self.redact(url)
        func refuse(_ reason: String) -> RedisError {
            RedisError(kind: .configuration, message: "the Redis URL \(redacted) cannot be used: \(reason)")
        }
        guard let separator = url.firstRange(of: "://") else {
            throw refuse("it must start with redis:// or unix://")
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        var rest = url[separator.upperBound...]
        var userInfo: Substring?
        if scheme == "redis", let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        let (beforeQuery, query) = self.splitQuery(rest)
        var parsed: Parsed
        switch scheme {
        case "redis":
            parsed = try self.parseNetwork(beforeQuery, userInfo: userInfo, redacted: redacted, refuse: refuse)
        case "unix":
            guard beforeQuery.hasPrefix("/") else {
                throw refuse("a unix:// URL names the socket's absolute path (unix:///path/to/redis.sock)")
            }
            guard let path = self.percentDecoded(beforeQuery) else { throw refuse("the socket path is not valid percent-encoding") }
            guard path.count > 1 else { throw refuse("it names no socket") }
            parsed = Parsed(endpoint: .unix(path: path), redacted: redacted)
        case "rediss":
            throw refuse("rediss:// (TLS) is not supported: the hiredis library this build links (0.14) has no TLS; use redis:// on a trusted network or a unix:// socket")
        default:
            throw refuse("the scheme \(scheme) is not redis:// or unix://")
        }
        try self.apply(query, to: &parsed, refuse: refuse)
        if parsed.user != nil, parsed.password == nil {
            throw refuse("a user needs a password (redis://user:password@host)")
        }
        return parsed
    }

    // MARK: Parts

    /// `host[:port][/db]`, with the `[user]:password` that came before the last `@`.
    private static func parseNetwork(
        _ text: Substring, userInfo: Substring?, redacted: String, refuse: (String) -> RedisError
    ) throws(RedisError) -> Parsed {
        let authorityEnd = text.firstIndex(of: "/") ?? text.endIndex
        let authority = text[..<authorityEnd]
        let path = text[authorityEnd...]
        var parsed = Parsed(endpoint: .tcp(host: "", port: self.defaultPort), redacted: redacted)
        if let userInfo {
            let colon = userInfo.firstIndex(of: ":")
            let userText = userInfo[..<(colon ?? userInfo.endIndex)]
            guard let user = self.percentDecoded(userText) else { throw refuse("the user is not valid percent-encoding") }
            parsed.user = user.isEmpty ? nil : user
            if let colon {
                guard let password = self.percentDecoded(userInfo[userInfo.index(after: colon)...]) else {
                    throw refuse("the password is not valid percent-encoding")
                }
                parsed.password = password
            }
        }
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw refuse("an IPv6 address lacks its closing ]") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw refuse("unexpected text after the IPv6 address: \(after)") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { throw refuse("it names no host") }
        var port = self.defaultPort
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw refuse("the port \(portText.isEmpty ? "(empty)" : String(portText)) is not a number from 1 to 65535")
            }
            port = number
        }
        parsed.endpoint = .tcp(host: String(host), port: port)
        let database = path.drop { $0 == "/" }
        if !database.isEmpty {
            parsed.database = try self.database(database, refuse: refuse)
        }
        return parsed
    }

    /// Applies `db`, `user` and `password`; anything else is refused, as are repeats.
    private static func apply(_ query: Substring?, to parsed: inout Parsed, refuse: (String) -> RedisError) throws(RedisError) {
        guard let query, !query.isEmpty else { return }
        var seen: Set<String> = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            let name = String(pair[..<(equals ?? pair.endIndex)])
            let raw = equals.map { pair[pair.index(after: $0)...] } ?? ""
            guard seen.insert(name).inserted else { throw refuse("the parameter \(name) is given twice") }
            switch name {
            case "db":
                guard parsed.database == 0 else { throw refuse("the database is given both in the path and as db=") }
                parsed.database = try self.database(raw, refuse: refuse)
            case "password":
                guard parsed.password == nil else { throw refuse("the password is given twice") }
                guard let password = self.percentDecoded(raw) else { throw refuse("the password is not valid percent-encoding") }
                parsed.password = password
            case "user":
                guard parsed.user == nil else { throw refuse("the user is given twice") }
                guard let user = self.percentDecoded(raw), !user.isEmpty else { throw refuse("the user is empty or not valid percent-encoding") }
                parsed.user = user
            default:
                throw refuse("unknown parameter \(name) (db, user and password are understood)")
            }
        }
    }

    private static func database(_ text: Substring, refuse: (String) -> RedisError) throws(RedisError) -> Int {
        guard let number = Int(text), number >= 0 else { throw refuse("the database \(text) is not a number from 0") }
        return number
    }

    // MARK: Redaction

    /// `url` with every password replaced by `***`: in the user information (after its first `:`, up to
    /// the last `@`, as ``parse(_:)`` reads it) and in any `password=` parameter. Where the URL is
    /// malformed, more is hidden rather than less.
    static func redact(_ url: String) -> String {
        var hidden: [Range<String.Index>] = []
        if let separator = url.firstRange(of: "://") {
            let rest = url[separator.upperBound...]
            if !rest.hasPrefix("/"), let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                hidden.append(rest.index(after: colon)..<at)
            }
        }
        var searchFrom = url.startIndex
        while let found = url[searchFrom...].firstRange(of: "password=") {
            let end = url[found.upperBound...].firstIndex(of: "&") ?? url.endIndex
            hidden.append(found.upperBound..<end)
            searchFrom = found.upperBound
        }
        var result = ""
        var copiedUpTo = url.startIndex
        for range in hidden.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound >= copiedUpTo {
                result += url[copiedUpTo..<range.lowerBound]
                result += self.mask
                copiedUpTo = range.upperBound
            } else if range.upperBound > copiedUpTo {
                copiedUpTo = range.upperBound
            }
        }
        return result + url[copiedUpTo...]
    }

    // MARK: Text

    /// Splits at the first `?`; a `#fragment` has no meaning here and is left in place to be refused.
    private static func splitQuery(_ text: Substring) -> (Substring, Substring?) {
        guard let question = text.firstIndex(of: "?") else { return (text, nil) }
        return (text[..<question], text[text.index(after: question)...])
    }

    /// `%XX` sequences decoded; `nil` when one is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.next().flatMap(self.hexValue), let low = utf8.next().flatMap(self.hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
