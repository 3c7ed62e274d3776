import Foundation
import Matting
@testable import MattingIO
import TestSupport
import Testing

@Suite struct OutputWriterTests {
    @Test func writesAndReplaces() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let writer = OutputWriter(directory: folder.path)
        try writer.write([1, 2, 3], to: "a.png")
        try writer.write([4, 5], to: "a.png")
        #expect(folder.contents() == ["a.png"])
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/a.png"))) == [4, 5])
    }

    @Test func createsMissingFolders() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let writer = OutputWriter(directory: folder.path + "/new/deeper")
        try writer.createDirectory()
        try writer.createDirectory()  // already there: fine
        try writer.write([], to: "empty.png")
        #expect(folder.contents("new/deeper") == ["empty.png"])
    }

    @Test func failedGroupLeavesNothing() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // The second name is an existing non-empty folder, so renaming onto it fails after the first
        // file of the group has already been renamed into place.
        try folder.write("b_cutout.png/keep", [0])
        let writer = OutputWriter(directory: folder.path)
        #expect(throws: OutputError.self) {
            try writer.write([("b_alpha.png", [1, 2]), ("b_cutout.png", [3, 4])])
        }
        #expect(folder.contents() == ["b_cutout.png"])
        #expect(folder.contents("b_cutout.png") == ["keep"])
    }

    /// The files of a group are written at once: when one of them cannot be (here the second, whose
    /// name leads into a folder that does not exist), the error names it and the others' temporary
    /// files are gone too.
    @Test func failedWriteInAGroupLeavesNothing() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let writer = OutputWriter(directory: folder.path)
        for order in [["a.png", "absent/b.png", "c.png"], ["absent/b.png", "a.png"]] {
            do {
                try writer.write(order.map { ($0, [UInt8](repeating: 7, count: 100_000)) })
                Issue.record("a file in a missing folder was written")
            } catch let error as OutputError {
                #expect(error.path == folder.path + "/absent/b.png")
            }
            #expect(folder.contents().isEmpty, "\(order)")
        }
    }

    /// A group that fails part-way puts back the files it had already replaced: the older outputs of
    /// the same names are there as they were, and nothing new or temporary is left.
    @Test func failedGroupRestoresEarlierFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("c_alpha.png", [9, 9])
        try folder.write("c_cutout.png", [8])
        var writer = OutputWriter(directory: folder.path)
        writer.renameFile = { from, to in
            guard !to.hasSuffix("c_cutout.png") else { errno = EIO; return -1 }
            return rename(from, to)
        }
        #expect(throws: OutputError.self) {
            try writer.write([("c_alpha.png", [1, 2]), ("c_cutout.png", [3, 4]), ("c_composite.png", [5])])
        }
        #expect(folder.contents() == ["c_alpha.png", "c_cutout.png"])
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/c_alpha.png"))) == [9, 9])
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/c_cutout.png"))) == [8])

        // With a folder under one name, the earlier file of the other name is kept too.
        try folder.write("d_alpha.png", [7])
        try folder.write("d_cutout.png/keep", [0])
        #expect(throws: OutputError.self) {
            try OutputWriter(directory: folder.path).write([("d_alpha.png", [1]), ("d_cutout.png", [2])])
        }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/d_alpha.png"))) == [7])
        #expect(folder.contents("d_cutout.png") == ["keep"])

        // And a group that succeeds leaves no kept copies behind.
        try OutputWriter(directory: folder.path).write([("c_alpha.png", [1]), ("c_cutout.png", [2])])
        #expect(folder.contents() == ["c_alpha.png", "c_cutout.png", "d_alpha.png", "d_cutout.png"])
    }

    @Test func missingFolderFailsWithoutTrapping() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let writer = OutputWriter(directory: folder.path + "/absent")
        do {
            try writer.write([1], to: "x.png")
            Issue.record("write into a missing folder succeeded")
        } catch let error as OutputError {
            #expect(error.path.hasSuffix("/absent/x.png"))
            #expect(error.description.contains("no such file or directory"))
        }
    }

    @Test func outputFolderThatIsAFileIsReported() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("file")
        #expect(throws: OutputError.self) { try OutputWriter(directory: folder.path + "/file").createDirectory() }
    }
}
