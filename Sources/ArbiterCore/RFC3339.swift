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
