import Foundation

/// CPU time that processes have used so far, read from `/proc/PID/stat`: utime + stime, every thread,
/// user and kernel.
enum ProcessCPU {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Seconds the processes have used; one that is gone counts 0.
    static func seconds(_ pids: [Int32]) -> Double {
        var ticks: Int64 = 0
        for pid in pids {
            ticks += self.stat(pid)?.ticks ?? 0
        }
        return Double(ticks) / self.ticksPerSecond
    }

    /// Seconds a PostgreSQL server has used: the postmaster, every child alive now (backends,
    /// checkpointer, WAL writer, autovacuum), and the children that have exited and been waited for
    /// (the postmaster's cutime + cstime), so a connection opened and closed between two readings
    /// still counts.
    static func serverSeconds(postmaster: Int32) -> Double {
        guard let root = self.stat(postmaster) else { return 0 }
        var ticks = root.ticks + root.exitedChildrenTicks
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != postmaster, let process = self.stat(pid), process.parent == postmaster else { continue }
            ticks += process.ticks
        }
        return Double(ticks) / self.ticksPerSecond
    }

    private struct Stat {
        var parent: Int32
        /// utime + stime, in clock ticks.
        var ticks: Int64
        /// cutime + cstime: the children this process has waited for.
        var exitedChildrenTicks: Int64
    }

    private static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        // After the command name, which may hold spaces and ends at the last ')': state, ppid, …; utime,
        // stime, cutime and cstime are the 12th to the 15th field from there.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14, let parent = Int32(fields[1]), let user = Int64(fields[11]), let system = Int64(fields[12]),
            let childrenUser = Int64(fields[13]), let childrenSystem = Int64(fields[14])
        else { return nil }
        return Stat(parent: parent, ticks: user + system, exitedChildrenTicks: childrenUser + childrenSystem)
    }
}
