/// `hour()`, `day_of_week()` and the other calendar functions, in UTC, over Unix seconds.
enum CalendarFunctions {
    static let names: Set<String> = ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"]

    static func apply(_ name: String, _ value: Double) -> Double {
        guard value.isFinite, abs(value) < 9e15 else { return .nan }
        let seconds = Int64(value)
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Self.civil(fromDays: days)
        switch name {
        case "hour": return Double(secondOfDay / 3600)
        case "minute": return Double(secondOfDay % 3600 / 60)
        case "day_of_month": return Double(day)
        case "day_of_week": return Double(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
        case "day_of_year": return Double(days - Self.days(fromCivil: year, 1, 1) + 1)
        case "days_in_month":
            let next = month == 12 ? Self.days(fromCivil: year + 1, 1, 1) : Self.days(fromCivil: year, month + 1, 1)
            return Double(next - Self.days(fromCivil: year, month, 1))
        case "month": return Double(month)
        case "year": return Double(year)
        default: return value
        }
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
