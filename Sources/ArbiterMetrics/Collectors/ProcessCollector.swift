#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` metrics, read from `/proc` at each render as the Go client does.
public final class ProcessCollector: MetricsCollector {
    private let cpuSeconds: Counter
    private let residentBytes: Gauge
    private let virtualBytes: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge

    /// Registers the process metrics and adds the collector to the registry.
    /// - Parameter registry: Where the metrics go.
    /// - Throws: ``MetricsError`` when the names are already taken by other metrics.
    public init(registry: MetricRegistry) throws(MetricsError) {
        self.cpuSeconds = try registry.counter("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", unit: "seconds")
        self.residentBytes = try registry.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.", unit: "bytes")
        self.virtualBytes = try registry.gauge("process_virtual_memory_bytes", help: "Virtual memory size in bytes.", unit: "bytes")
        self.openFDs = try registry.gauge("process_open_fds", help: "Number of open file descriptors.")
        self.maxFDs = try registry.gauge("process_max_fds", help: "Maximum number of open file descriptors.")
        self.startTime = try registry.gauge(
            "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", unit: "seconds")
        if let stat = Self.readStat() {
            self.startTime.set(stat.startTimeSeconds)
        }
        registry.addCollector(self)
    }

    public func collect() {
        if let stat = Self.readStat() {
            self.cpuSeconds.store(stat.cpuSeconds)
            self.residentBytes.set(stat.residentBytes)
            self.virtualBytes.set(stat.virtualBytes)
        }
        self.openFDs.set(Double(Self.countOpenFDs()))
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            self.maxFDs.set(Double(limit.rlim_cur))
        }
    }

    struct Stat {
        var cpuSeconds: Double
        var residentBytes: Double
        var virtualBytes: Double
        var startTimeSeconds: Double
    }

    /// Parses `/proc/self/stat`; fields are counted after the command name, which may hold spaces.
    static func readStat() -> Stat? {
        guard let text = readSmallFile("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3 of proc(5)); field n is at index n - 3.
        guard fields.count > 21, let utime = Double(fields[11]), let stime = Double(fields[12]),
            let start = Double(fields[19]), let vsize = Double(fields[20]), let rss = Double(fields[21])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        return Stat(
            cpuSeconds: (utime + stime) / ticks,
            residentBytes: rss * page,
            virtualBytes: vsize,
            startTimeSeconds: Self.bootTime() + start / ticks
        )
    }

    private static func bootTime() -> Double {
        guard let text = readSmallFile("/proc/stat") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6)) ?? 0
        }
        return 0
    }

    private static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        // The directory stream itself holds a descriptor while we count.
        return max(count - 1, 0)
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
