#if canImport(Glibc)
import Glibc
#endif

/// What the conventional Prometheus process metrics report about this process, read from Linux's
/// `/proc` (proc(5)) when `/metrics` is scraped:
///
/// | metric | source |
/// | --- | --- |
/// | `process_cpu_seconds_total` | `/proc/self/stat` fields 14 and 15 (`utime`, `stime`), in clock ticks |
/// | `process_virtual_memory_bytes` | `/proc/self/stat` field 23 (`vsize`), in bytes |
/// | `process_resident_memory_bytes` | `/proc/self/stat` field 24 (`rss`), in pages |
/// | `process_start_time_seconds` | `/proc/self/stat` field 22 (`starttime`, clock ticks after boot) plus `btime` of `/proc/stat` |
/// | `process_open_fds` | the entries of `/proc/self/fd` |
/// | `process_max_fds` | the soft limit on the line `Max open files` of `/proc/self/limits` |
///
/// The parsers take the files' text and never trap: a file that does not read as expected gives nil.
struct ProcessStatistics: Equatable, Sendable {
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double
    var virtualMemoryBytes: Double
    var residentMemoryBytes: Double
    /// Seconds since the Unix epoch.
    var startTimeSeconds: Double
    /// Nil when `/proc/self/fd` cannot be listed.
    var openFileDescriptors: Double?
    /// Nil when the limit is `unlimited` or `/proc/self/limits` cannot be read.
    var maxFileDescriptors: Double?

    /// This process now; nil where there is no `/proc` (other systems than Linux) or it reads wrongly.
    static func current() -> ProcessStatistics? {
        #if os(Linux)
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard ticksPerSecond > 0, pageSize > 0,
              let statText = readProcFile("/proc/self/stat"), let stat = ProcessStat(statText),
              let systemStat = readProcFile("/proc/stat"), let bootTime = bootTime(systemStat: systemStat)
        else { return nil }
        let ticks = Double(ticksPerSecond)
        return ProcessStatistics(
            cpuSeconds: Double(stat.userTicks + stat.systemTicks) / ticks,
            virtualMemoryBytes: Double(stat.virtualMemoryBytes),
            residentMemoryBytes: Double(stat.residentPages) * Double(pageSize),
            startTimeSeconds: Double(bootTime) + Double(stat.startTicks) / ticks,
            openFileDescriptors: countDirectoryEntries("/proc/self/fd").map { Double($0) },
            maxFileDescriptors: readProcFile("/proc/self/limits").flatMap(openFilesSoftLimit(limits:)).map { Double($0) })
        #else
        return nil
        #endif
    }

    /// The boot time, in seconds since the Unix epoch: the `btime` line of `/proc/stat`.
    static func bootTime(systemStat: String) -> UInt64? {
        for line in systemStat.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2, words[0] == "btime" { return UInt64(words[1]) }
        }
        return nil
    }

    /// The soft limit on open files from `/proc/self/limits`, whose line reads
    /// `Max open files            1024                 524288               files`; nil when `unlimited`.
    static func openFilesSoftLimit(limits: String) -> UInt64? {
        let prefix = "Max open files"
        for line in limits.split(separator: "\n") where line.hasPrefix(prefix) {
            let words = line.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: true)
            return words.first.flatMap { UInt64($0) }
        }
        return nil
    }
}

/// The fields of `/proc/self/stat` the process metrics use.
///
/// The second field is the command name in parentheses, which may itself hold spaces and parentheses;
/// so the fields are counted from the last `)`, after which the third field (the state) starts.
struct ProcessStat: Equatable {
    var userTicks: UInt64
    var systemTicks: UInt64
    var startTicks: UInt64
    var virtualMemoryBytes: UInt64
    var residentPages: UInt64
}

extension ProcessStat {
    init?(_ text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        /// Field `number` of proc(5) (1-based), the first after the command name being field 3.
        func field(_ number: Int) -> UInt64? {
            let index = number - 3
            return index < fields.count ? UInt64(fields[index]) : nil
        }
        guard let user = field(14), let system = field(15), let start = field(22),
              let virtual = field(23), let resident = field(24) else { return nil }
        self.userTicks = user
        self.systemTicks = system
        self.startTicks = start
        self.virtualMemoryBytes = virtual
        self.residentPages = resident
    }
}

#if os(Linux)
/// The whole of a `/proc` file. Their sizes read as 0, so this reads until the end instead of by size.
private func readProcFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { return nil }
        if count == 0 { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Entries of a folder other than `.` and `..` (for `/proc/self/fd`, the one opened to list it included).
private func countDirectoryEntries(_ path: String) -> Int? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
            name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
        }
        if !isDot { count += 1 }
    }
    return count
}
#endif
