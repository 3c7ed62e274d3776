import Foundation
import Matting
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
