import Foundation

/// Panels drawn as inline SVG: lines for a timeseries, a number for a stat, values in the panel's unit.
enum ConsoleChart {
    struct Line {
        let name: String
        /// (Unix ms, value) in time order.
        let points: [(Int64, Double)]
    }

    /// The series colours; the legend's `.c0`…`.c7` in the stylesheet are the same (no inline styles: the pages' CSP forbids them).
    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let width = 600.0
    static let height = 180.0
    static let left = 48.0

    /// A line chart from `start` to `end`; a gap longer than two steps breaks a line.
    static func lines(_ lines: [Line], start: Int64, end: Int64, step: Int64, unit: String) -> Markup {
        let values = lines.flatMap { $0.points.map(\.1) }.filter(\.isFinite)
        var low = min(0, values.min() ?? 0)
        var high = values.max() ?? 1
        if high <= low { high = low + 1 }
        if unit == "percentunit" { high = max(high, 0) } else { low = min(low, 0) }
        let span = Double(max(end - start, 1))
        func x(_ time: Int64) -> Double { self.left + (self.width - self.left - 4) * Double(time - start) / span }
        func y(_ value: Double) -> Double { 8 + (self.height - 24) * (1 - (value - low) / (high - low)) }
        var paths: [Markup] = []
        for (index, line) in lines.prefix(24).enumerated() {
            var d = ""
            var previous: Int64?
            for (time, value) in line.points where value.isFinite {
                let move = previous.map { time - $0 > 2 * step } ?? true
                d += (move ? "M" : "L") + String(format: "%.1f %.1f", x(time), y(value))
                previous = time
            }
            guard !d.isEmpty else { continue }
            let color = self.colors[index % self.colors.count]
            paths.append("<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"><title>\(line.name)</title></path>")
        }
        let grid = [high, (high + low) / 2, low].map { value -> Markup in
            let at = String(format: "%.1f", y(value))
            return "<line class=\"axis\" x1=\"\(self.left)\" x2=\"\(self.width)\" y1=\"\(at)\" y2=\"\(at)\"/><text x=\"2\" y=\"\(at)\" dy=\"3\">\(self.format(value, unit: unit))</text>"
        }
        let times = [start, start + (end - start) / 2, end].map { time -> Markup in
            let label = self.clock(time)
            return "<text x=\"\(String(format: "%.1f", min(x(time), self.width - 30)))\" y=\"\(self.height - 2)\">\(label)</text>"
        }
        let legend = lines.prefix(24).enumerated().map { index, line -> Markup in
            "<span><i class=\"c\(index % self.colors.count)\"></i>\(line.name)</span>"
        }
        return """
            <svg class="chart" viewBox="0 0 \(Int(self.width)) \(Int(self.height))" role="img" aria-label="chart">\(grid)\(times)\(paths)</svg>
            <div class="legend">\(legend)</div>
            """
    }

    /// `HH:MM` (UTC) of a Unix ms time.
    static func clock(_ milliseconds: Int64) -> String {
        let seconds = (milliseconds / 1000) % 86_400
        return String(format: "%02d:%02d", seconds / 3600, (seconds % 3600) / 60)
    }

    /// `value` in Grafana's `unit`.
    static func format(_ value: Double, unit: String) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        switch unit {
        case "percentunit": return self.short(value * 100) + "%"
        case "percent": return self.short(value) + "%"
        case "s", "dtdurations": return self.seconds(value)
        case "ms": return self.seconds(value / 1000)
        case "bytes": return self.bytes(value)
        case "Bps": return self.bytes(value) + "/s"
        case "ops": return self.short(value) + " ops/s"
        case "reqps": return self.short(value) + " req/s"
        case "bool": return value == 0 ? "false" : "true"
        case "dateTimeAsIso": return value > 0 ? ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: value > 1e11 ? value / 1000 : value)) : "–"
        default: return self.short(value)
        }
    }

    static func short(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e9 { return String(format: "%.2fG", value / 1e9) }
        if magnitude >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if magnitude >= 1e4 { return String(format: "%.1fk", value / 1e3) }
        if value == value.rounded() { return String(format: "%.0f", value) }
        if magnitude >= 100 { return String(format: "%.0f", value) }
        if magnitude >= 1 { return String(format: "%.2f", value) }
        return String(format: "%.3g", value)
    }

    static func seconds(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0 s" }
        if magnitude < 1e-3 { return String(format: "%.0f µs", value * 1e6) }
        if magnitude < 1 { return String(format: "%.1f ms", value * 1e3) }
        if magnitude < 120 { return String(format: "%.2f s", value) }
        if magnitude < 7200 { return String(format: "%.1f min", value / 60) }
        if magnitude < 172_800 { return String(format: "%.1f h", value / 3600) }
        return String(format: "%.1f d", value / 86400)
    }

    static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = value
        var index = 0
        while abs(scaled) >= 1024 && index < units.count - 1 {
            scaled /= 1024
            index += 1
        }
        return String(format: index == 0 ? "%.0f" : "%.1f", scaled) + " " + units[index]
    }
}
