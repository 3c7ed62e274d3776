import Foundation
import Matting
import MattingIO
import TestSupport
import Testing

@Suite struct InputSourceTests {
    func makeTree() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        for path in ["b.jpg", "a.PNG", "c.webp", "d.jpeg", "notes.txt", "noextension", ".hidden.jpg",
                     "sub/e.jpg", "sub/deeper/f.png", "sub/readme.md", "a2/g.jpg", ".git/h.jpg"] {
            try folder.write(path)
        }
        return folder
    }

    func paths(_ items: [InputItem]) -> [[String]] { items.map { $0.pathInFolder ?? [] } }

    @Test func folderGivesImagesSorted() throws {
        let folder = try makeTree()
        defer { folder.remove() }
        let (items, problems) = InputSource.gather([folder.path], recursive: false)
        #expect(problems.isEmpty)
        #expect(paths(items) == [["a.PNG"], ["b.jpg"], ["c.webp"], ["d.jpeg"]])
        #expect(items.first?.location == .file(path: folder.path + "/a.PNG"))
        #expect(items.first?.displayName == folder.path + "/a.PNG")
    }

    @Test func recursiveDescendsSkippingHiddenFolders() throws {
        let folder = try makeTree()
        defer { folder.remove() }
        let (items, problems) = InputSource.gather([folder.path + "/"], recursive: true)
        #expect(problems.isEmpty)
        #expect(paths(items) == [["a.PNG"], ["a2", "g.jpg"], ["b.jpg"], ["c.webp"], ["d.jpeg"],
                                 ["sub", "deeper", "f.png"], ["sub", "e.jpg"]])
        #expect(items[1].displayName == folder.path + "/a2/g.jpg")
    }

    @Test func symbolicLinksToFoldersAreNotFollowed() throws {
        let folder = try makeTree()
        defer { folder.remove() }
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/sub/loop", withDestinationPath: folder.path)
        let (items, _) = InputSource.gather([folder.path], recursive: true)
        #expect(items.count == 7)
    }

    @Test func argumentsKeepTheirOrder() throws {
        let folder = try makeTree()
        defer { folder.remove() }
        let (items, problems) = InputSource.gather(
            [folder.path + "/notes.txt", "-", "https://example.com/p.jpg", folder.path + "/sub"], recursive: false)
        #expect(problems.isEmpty)
        #expect(items.map(\.location) == [
            .file(path: folder.path + "/notes.txt"),  // named directly: read whatever the extension
            .standardInput,
            .url(URL(string: "https://example.com/p.jpg")!),
            .file(path: folder.path + "/sub/e.jpg"),
        ])
        #expect(items[1].displayName == "stdin")
    }

    @Test func problemsAreReportedPerArgument() throws {
        let folder = try makeTree()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/empty", withIntermediateDirectories: true)
        let (items, problems) = InputSource.gather(
            [folder.path + "/missing.jpg", folder.path + "/empty", folder.path + "/b.jpg"], recursive: false)
        #expect(items.count == 1)
        #expect(problems.map(\.argument) == [folder.path + "/missing.jpg", folder.path + "/empty"])
        #expect(problems[0].reason == "no such file or directory")
        #expect(problems[1].reason.contains("no JPEG, PNG or WebP images"))
    }

    @Test func urlDetection() {
        #expect(InputSource.looksLikeURL("http://example.com/a.jpg"))
        #expect(InputSource.looksLikeURL("HTTPS://example.com"))
        #expect(InputSource.looksLikeURL("ftp://example.com/a.jpg"))
        #expect(InputSource.looksLikeURL("file:///etc/passwd"))
        #expect(!InputSource.looksLikeURL("photos/a.jpg"))
        #expect(!InputSource.looksLikeURL("my photos://a.jpg"))
        #expect(!InputSource.looksLikeURL("://a.jpg"))
        #expect(!InputSource.looksLikeURL("1http://a"))
    }

    @Test func readerReadsFilesAndStandardInput() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("a.jpg", [9, 8, 7])
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data([1, 2]))
        try pipe.fileHandleForWriting.close()
        let reader = InputReader(standardInput: pipe.fileHandleForReading)
        #expect(try reader.read(InputItem(location: .file(path: folder.path + "/a.jpg"), displayName: "a")) == [9, 8, 7])
        #expect(try reader.read(InputItem(location: .standardInput, displayName: "stdin")) == [1, 2])
        do {
            _ = try reader.read(InputItem(location: .file(path: folder.path + "/gone.jpg"), displayName: "gone.jpg"))
            Issue.record("read a missing file")
        } catch let problem as InputProblem {
            #expect(problem.reason == "no such file or directory")
        }
    }
}
