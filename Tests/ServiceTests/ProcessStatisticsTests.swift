import Foundation
@testable import Service
import Testing

/// The `/proc` readers behind the process metrics.
@Suite struct ProcessStatisticsTests {
    /// A `/proc/self/stat` line whose command name holds a space and a `)`, as proc(5) allows.
    static let stat = "4242 (matte (serve) x) S 1 4242 4242 0 -1 4194560 2915 0 0 0 " +
        "731 129 0 0 20 0 9 0 1234567 1869348864 10240 18446744073709551615 1 1 0 0 0 0 0 4096 17575 0 0 0 17 1 0 0 0 0 0\n"

    @Test func statFieldsAreCountedFromTheLastParenthesis() throws {
        let fields = try #require(ProcessStat(Self.stat))
        #expect(fields == ProcessStat(userTicks: 731, systemTicks: 129, startTicks: 1234567,
                                      virtualMemoryBytes: 1869348864, residentPages: 10240))
    }

    @Test func malformedStatGivesNil() {
        #expect(ProcessStat("") == nil)
        #expect(ProcessStat("4242 (matte) S 1 2 3") == nil)  // too few fields
        #expect(ProcessStat(Self.stat.replacingOccurrences(of: " 731 ", with: " -731 ")) == nil)
        #expect(ProcessStat("4242 matte S " + String(repeating: "1 ", count: 30)) == nil)  // no parenthesis
    }

    @Test func bootTimeIsTheBtimeLine() {
        let text = "cpu  10 20 30 40\ncpu0 1 2 3 4\nintr 5 6\nctxt 99\nbtime 1717171717\nprocesses 3\n"
        #expect(ProcessStatistics.bootTime(systemStat: text) == 1_717_171_717)
        #expect(ProcessStatistics.bootTime(systemStat: "cpu 1 2 3\n") == nil)
        #expect(ProcessStatistics.bootTime(systemStat: "btime soon\n") == nil)
    }

    @Test func openFilesLimitIsTheSoftOne() {
        let limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            1024                 524288               files
            Max locked memory         8388608              8388608              bytes

            """
        #expect(ProcessStatistics.openFilesSoftLimit(limits: limits) == 1024)
        let unlimited = limits.replacingOccurrences(of: "1024     ", with: "unlimited")
        #expect(ProcessStatistics.openFilesSoftLimit(limits: unlimited) == nil)
        #expect(ProcessStatistics.openFilesSoftLimit(limits: "Limit Soft Hard\n") == nil)
    }

    #if os(Linux)
    @Test func thisProcessReadsSensibly() throws {
        let statistics = try #require(ProcessStatistics.current())
        let now = Date().timeIntervalSince1970
        #expect(statistics.startTimeSeconds > now - 7 * 86_400 && statistics.startTimeSeconds <= now + 1)
        #expect(statistics.cpuSeconds >= 0)
        #expect(statistics.residentMemoryBytes > 1_000_000)
        #expect(statistics.virtualMemoryBytes >= statistics.residentMemoryBytes)
        let open = try #require(statistics.openFileDescriptors)
        #expect(open >= 3)  // standard input, output and error, and the listing's own
        let limit = try #require(statistics.maxFileDescriptors)
        #expect(limit >= open)
    }
    #endif
}
