import ArbiterCore
import ArbiterPromQL
import Foundation

/// Prometheus's `humanize*` template functions.
enum Humanize {
    /// `humanize`: SI prefixes, four significant digits (`1.234k`, `12.5m`).
    static func metric(_ value: Double) -> String {
        if value == 0 || value.isNaN || value.isInfinite { return GoFormat.c("%.4g", value) }
        var v = value
        var prefix = ""
        if abs(v) >= 1 {
            for next in ["k", "M", "G", "T", "P", "E", "Z", "Y"] where abs(v) >= 1000 {
                prefix = next
                v /= 1000
            }
        } else {
            for next in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(v) < 1 {
                prefix = next
                v *= 1000
            }
        }
        return GoFormat.c("%.4g", v) + prefix
    }

    /// `humanize1024`: binary prefixes (`1Ki`, `1.5Mi`).
    static func binary(_ value: Double) -> String {
        if abs(value) <= 1 || value.isNaN || value.isInfinite { return GoFormat.c("%.4g", value) }
        var v = value
        var prefix = ""
        for next in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] where abs(v) >= 1024 {
            prefix = next
            v /= 1024
        }
        return GoFormat.c("%.4g", v) + prefix
    }

    /// `humanizeDuration`: `1d 2h 3m 4s`, or sub-second with SI prefixes (`250ms`).
    static func duration(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return GoFormat.c("%.4g", value) }
        if value == 0 { return "0s" }
        if abs(value) >= 1 {
            let sign = value < 0 ? "-" : ""
            let v = abs(value)
            let total = Int64(v)
            let seconds = total % 60
            let minutes = (total / 60) % 60
            let hours = (total / 3600) % 24
            let days = total / 86_400
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + GoFormat.c("%.4g", v) + "s"
        }
        var v = value
        var prefix = ""
        for next in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(v) < 1 {
            prefix = next
            v *= 1000
        }
        return GoFormat.c("%.4g", v) + prefix + "s"
    }

    /// `humanizeTimestamp`: Go's `time.Time.String()` in UTC (`1970-01-01 00:00:10 +0000 UTC`).
    static func timestamp(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return GoFormat.c("%.4g", value) }
        // Millisecond precision, truncated, as Prometheus's model.Time holds it.
        guard abs(value) < 9e9 else { return GoFormat.c("%.4g", value) }
        let milliseconds = Int64(value * 1e9) / 1_000_000
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let millisecondOfDay = milliseconds - days * 86_400_000
        let time = millisecondOfDay / 1000
        let fractionMilliseconds = millisecondOfDay % 1000
        let date = CivilDate(days: days)
        var text = String(format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld", date.year, date.month, date.day, time / 3600, time % 3600 / 60, time % 60)
        if fractionMilliseconds > 0 {
            var fraction = String(format: "%03lld", fractionMilliseconds)
            while fraction.last == "0" { fraction.removeLast() }
            text += "." + fraction
        }
        return text + " +0000 UTC"
    }
}
