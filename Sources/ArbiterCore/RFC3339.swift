/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-25T02:05:39.931Z`), formatted without
/// Foundation's date formatters, which are slow to create and not safe to share across threads.
public enum RFC3339 {
    /// Formats Unix milliseconds.
    public static func format(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = Int(milliseconds - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = self.civil(fromDays: days)
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

    /// Year, month and day of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's
    /// `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}
