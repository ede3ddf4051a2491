import ArbiterCore
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
        let date = CivilDate(days: days)
        let (year, month, day) = (date.year, date.month, date.day)
        switch name {
        case "hour": return Double(secondOfDay / 3600)
        case "minute": return Double(secondOfDay % 3600 / 60)
        case "day_of_month": return Double(day)
        case "day_of_week": return Double(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
        case "day_of_year": return Double(days - CivilDate.days(fromCivil: year, 1, 1) + 1)
        case "days_in_month":
            let next = month == 12 ? CivilDate.days(fromCivil: year + 1, 1, 1) : CivilDate.days(fromCivil: year, month + 1, 1)
            return Double(next - CivilDate.days(fromCivil: year, month, 1))
        case "month": return Double(month)
        case "year": return Double(year)
        default: return value
        }
    }
}
