import Foundation

/// CPU time and peak memory of a process, from `/proc`.
public enum ProcessStats {
    /// utime + stime in seconds.
    public static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Peak resident set (VmHWM) in bytes.
    public static func peakRSS(pid: Int32) -> Double { self.status("VmHWM:", pid: pid) }

    /// Resident set now (VmRSS) in bytes.
    public static func currentRSS(pid: Int32) -> Double { self.status("VmRSS:", pid: pid) }

    private static func status(_ field: String, pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}

/// A progress line on stderr.
public func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A result line on stdout, written at once (a crash later must not lose it in a buffer).
public func emit(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

public func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
