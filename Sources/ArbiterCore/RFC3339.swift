/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-25T02:05:39.931Z`), formatted without
/// Foundation's date formatters, which are slow to create and not safe to share across threads.
public enum RFC3339 {
    /// Formats Unix milliseconds.
    public static func format(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = Int(milliseconds - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let date = CivilDate(days: days)
        let (year, month, day) = (date.year, Int(date.month), Int(date.day))
        var text = ""
        text.reserveCapacity(24)
        self.append(Int(year), width: 4, to: &text)
        text += "-"
        self.append(month, width: 2, to: &text)
        text += "-"
        self.append(day, width: 2, to: &text)
        text += "T"
        self.append(secondOfDay / 3600, width: 2, to: &text)
        text += ":"
        self.append(secondOfDay / 60 % 60, width: 2, to: &text)
        text += ":"
        self.append(secondOfDay % 60, width: 2, to: &text)
        text += "."
        self.append(millis, width: 3, to: &text)
        text += "Z"
        return text
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}

extension RFC3339 {
    /// Why a text is not an RFC 3339 timestamp.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// What is wrong, for a person: `February 2026 has no day 30`.
        public let message: String

        public init(_ message: String) {
            self.message = message
        }

        public var description: String { self.message }
    }

    /// Parses an RFC 3339 `date-time` (`2026-11-24T12:00:00Z`, `2026-11-24T13:00:00.250+01:00`) into
    /// Unix milliseconds.
    ///
    /// Strict where Foundation's ISO 8601 parser is lenient: the year has four digits (0000–9999), the
    /// month and day exist (February 29 only in leap years, never February 30), hours are 00–23 and
    /// minutes and seconds 00–59. A leap second (`:60`) is refused: Unix time has none. A fraction may
    /// have any number of digits; those past the millisecond are dropped (towards the past). The zone
    /// is `Z` or an offset of at most ±23:59. `T` and `Z` may be lower case, as RFC 3339 allows.
    /// - Parameter text: The timestamp.
    /// - Returns: Milliseconds since 1970-01-01T00:00:00Z, negative before it.
    /// - Throws: ``ParseError`` naming the part at fault.
    public static func milliseconds(from text: some StringProtocol) throws(ParseError) -> Int64 {
        var reader = TimestampReader(bytes: Array(text.utf8))
        let year = try reader.digits(4, "a four-digit year (0000–9999)")
        try reader.expect("-", "- after the four-digit year")
        let month = try reader.digits(2, "a two-digit month")
        try reader.expect("-", "- after the month")
        let day = try reader.digits(2, "a two-digit day")
        guard reader.take("T") || reader.take("t") else { throw ParseError("expected T between the date and the time") }
        let hour = try reader.digits(2, "a two-digit hour")
        try reader.expect(":", ": after the hour")
        let minute = try reader.digits(2, "two-digit minutes")
        try reader.expect(":", ": after the minutes")
        let second = try reader.digits(2, "two-digit seconds")
        var fraction: Int64 = 0
        if reader.take(".") {
            var count = 0
            while let digit = reader.digit() {
                if count < 3 { fraction = fraction * 10 + digit }
                count += 1
            }
            guard count > 0 else { throw ParseError("expected digits after the decimal point") }
            while count < 3 {
                fraction *= 10
                count += 1
            }
        }
        var offsetMinutes: Int64 = 0
        if !(reader.take("Z") || reader.take("z")) {
            let sign: Int64
            if reader.take("+") {
                sign = 1
            } else if reader.take("-") {
                sign = -1
            } else {
                throw ParseError("expected Z or an offset such as +01:00 after the time")
            }
            let offsetHour = try reader.digits(2, "a two-digit offset hour")
            try reader.expect(":", ": in the offset")
            let offsetMinute = try reader.digits(2, "two-digit offset minutes")
            guard offsetHour <= 23, offsetMinute <= 59 else { throw ParseError("the offset must be at most ±23:59") }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
        }
        guard reader.atEnd else { throw ParseError("unexpected text after the timestamp") }

        guard (1...12).contains(month) else { throw ParseError("month \(month) does not exist") }
        let daysInMonth = Self.days(inMonth: month, of: year)
        guard day >= 1, day <= daysInMonth else {
            throw ParseError("\(Self.monthNames[Int(month) - 1]) \(Self.padded(year, width: 4)) has no day \(day)")
        }
        guard hour <= 23 else { throw ParseError("hour \(hour) does not exist") }
        guard minute <= 59 else { throw ParseError("minute \(minute) does not exist") }
        guard second <= 59 else {
            throw ParseError(second == 60 ? "leap seconds (:60) are not supported: Unix time has none" : "second \(second) does not exist")
        }
        let days = CivilDate.days(fromCivil: year, month, day)
        let terms: [(Int64, Int64)] = [
            (days, 86_400_000), (hour, 3_600_000), (minute, 60_000), (second, 1000), (fraction, 1), (-offsetMinutes, 60_000),
        ]
        var total: Int64 = 0
        for (value, scale) in terms {
            let (product, productOverflow) = value.multipliedReportingOverflow(by: scale)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            if productOverflow || sumOverflow { throw ParseError("the timestamp is out of range") }
            total = sum
        }
        // An offset can carry the instant past the years 0000–9999 (9999-12-31T23:59:59-01:00), where
        // no RFC 3339 text names it, so it could never be written back: refuse it.
        guard (Self.earliestMilliseconds...Self.latestMilliseconds).contains(total) else {
            throw ParseError("the instant, in UTC, falls outside the years 0000 to 9999")
        }
        return total
    }

    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in Unix milliseconds: the instants RFC 3339 can name.
    public static let earliestMilliseconds: Int64 = -62_167_219_200_000
    public static let latestMilliseconds: Int64 = 253_402_300_799_999

    private static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]

    /// Days in a month of the proleptic Gregorian calendar.
    static func days(inMonth month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func padded(_ value: Int64, width: Int) -> String {
        let digits = String(value)
        return digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
    }
}

/// Reads a timestamp's fixed-width fields left to right.
private struct TimestampReader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { self.index == self.bytes.count }

    /// The next byte if it is `character`, consumed.
    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: character) else { return false }
        self.index += 1
        return true
    }

    mutating func expect(_ character: Unicode.Scalar, _ what: String) throws(RFC3339.ParseError) {
        guard self.take(character) else { throw RFC3339.ParseError("expected \(what)") }
    }

    /// The next byte's value if it is a decimal digit, consumed.
    mutating func digit() -> Int64? {
        guard self.index < self.bytes.count, (0x30...0x39).contains(self.bytes[self.index]) else { return nil }
        defer { self.index += 1 }
        return Int64(self.bytes[self.index] - 0x30)
    }

    /// Exactly `count` digits.
    mutating func digits(_ count: Int, _ what: String) throws(RFC3339.ParseError) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<count {
            guard let digit = self.digit() else { throw RFC3339.ParseError("expected \(what)") }
            value = value * 10 + digit
        }
        return value
    }
}
