import Foundation
import Testing
@testable import Video

/// Folders of video jobs whose process was killed are swept at a worker's start, others' are kept.
@Suite struct VideoJobLeftoverTests {
    /// The id of a process that has exited (and been reaped).
    func exitedProcessID() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func foldersOfGoneProcessesAreRemoved() throws {
        let directory = NSTemporaryDirectory() + "leftovers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let gone = try exitedProcessID()
        let names = [
            VideoJob.folderPrefix + "\(gone)-aB3dE9",          // killed mid-job: removed
            VideoJob.folderPrefix + "\(getpid())-Zx81Qw",      // this process's own id at start-up: removed
            VideoJob.folderPrefix + "\(getppid())-Kq2Lm0",     // a running process's job: kept
            VideoJob.folderPrefix + "nonsense",                // not a name the jobs make: kept
            "other-folder",                                    // not a video job's: kept
        ]
        for name in names {
            try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: false)
            FileManager.default.createFile(atPath: directory + "/" + name + "/input", contents: Data([1, 2, 3]))
        }
        let removed = VideoJob.removeLeftovers(in: directory).map { ($0 as NSString).lastPathComponent }
        #expect(Set(removed) == Set(names[0...1]))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(Set(left) == Set(names[2...]))
    }
}
