import Foundation
import Matting
import MattingIO
import TestSupport
import Testing

@Suite struct OutputNamingTests {
    func file(_ path: String, inFolder components: [String]? = nil) -> InputItem {
        InputItem(location: .file(path: path), displayName: path, pathInFolder: components)
    }

    func url(_ text: String) -> InputItem {
        InputItem(location: .url(URL(string: text)!), displayName: text)
    }

    @Test func baseNames() {
        #expect(OutputNaming.baseName(of: file("photos/portrait.jpg")) == "portrait")
        #expect(OutputNaming.baseName(of: file("a.b.png")) == "a.b")
        #expect(OutputNaming.baseName(of: file("noextension")) == "noextension")
        #expect(OutputNaming.baseName(of: file("dir/.hidden")) == ".hidden")
        #expect(OutputNaming.baseName(of: InputItem(location: .standardInput, displayName: "stdin")) == "stdin")
        #expect(OutputNaming.baseName(of: url("https://example.com/people/anna%20smith.jpg?size=large")) == "anna_smith")
        #expect(OutputNaming.baseName(of: url("https://example.com/")) == "download")
        #expect(OutputNaming.baseName(of: url("https://example.com")) == "download")
        #expect(OutputNaming.baseName(of: url("https://example.com/..%2F..%2Fetc%2Fpasswd")) == "passwd")
        #expect(OutputNaming.baseName(of: url("https://example.com/%2E%2E")) == "download")
        #expect(OutputNaming.baseName(of: url("https://example.com/photo?id=3")) == "photo")
        #expect(OutputNaming.baseName(of: url("https://example.com/-rf.jpg")) == "rf")
        #expect(OutputNaming.baseName(of: url("https://example.com/%E6%97%A5%E6%9C%AC.jpg")) == "download")
        #expect(OutputNaming.baseName(of: url("https://example.com/caf%C3%A9-1.jpeg")) == "caf_-1")
    }

    @Test func longNamesAreShortened() {
        let long = String(repeating: "é", count: 300)
        let name = OutputNaming.baseName(of: file(long + ".jpg"))
        #expect(name.utf8.count <= OutputNaming.maximumNameLength)
        #expect(name.hasPrefix("éé"))
    }

    @Test func uniqueNamesAreKept() {
        let names = OutputNaming.names(for: [file("a.jpg"), file("b.png"), url("https://x.org/c.webp")])
        #expect(names == ["a", "b", "c"])
    }

    @Test func sameStemInDifferentFoldersGetsSuffixes() {
        let names = OutputNaming.names(for: [file("a/x.jpg"), file("b/x.png"), file("c/X.webp")])
        #expect(names == ["x", "x-2", "X-3"])
    }

    @Test func folderEntriesUsePathInsideFolder() {
        let names = OutputNaming.names(for: [
            file("photos/x.jpg", inFolder: ["x.jpg"]),
            file("photos/2024/x.jpg", inFolder: ["2024", "x.jpg"]),
            file("photos/2024/summer/x.png", inFolder: ["2024", "summer", "x.png"]),
            file("photos/y.jpg", inFolder: ["y.jpg"]),
            file("photos/2024/y2.jpg", inFolder: ["2024", "y2.jpg"]),
        ])
        #expect(names == ["x", "2024_x", "2024_summer_x", "y", "y2"])
    }

    @Test func urlsAndStandardInputCollide() {
        let names = OutputNaming.names(for: [
            url("https://a.org/x.jpg"), url("https://b.org/x.jpg"), url("https://c.org/"), url("https://d.org/"),
            InputItem(location: .standardInput, displayName: "stdin"), file("stdin.png"),
        ])
        #expect(names == ["x", "x-2", "download", "download-2", "stdin", "stdin-2"])
    }

    @Test func suffixesNeverTakeAnotherInputsName() {
        // The second `x` would become x-2, but a later input is called x-2 itself.
        let names = OutputNaming.names(for: [file("a/x.jpg"), file("b/x.jpg"), file("x-2.jpg"), file("c/x.jpg")])
        #expect(names == ["x", "x-3", "x-2", "x-4"])
        #expect(Set(names.map { $0.lowercased() }).count == names.count)
    }

    @Test func qualifiedNamesThatCollideAgainGetSuffixes() {
        let names = OutputNaming.names(for: [
            file("p/a/x.jpg", inFolder: ["a", "x.jpg"]), file("p/x.jpg", inFolder: ["x.jpg"]),
            file("q/a_x.jpg"),
        ])
        #expect(names == ["a_x", "x", "a_x-2"])
    }

    @Test func manyInputsNeverCollide() {
        var items: [InputItem] = []
        for folder in 0..<20 {
            for name in ["x", "X", "x-2", "y"] { items.append(file("f\(folder)/\(name).jpg")) }
            items.append(file("root/f\(folder)/x.jpg", inFolder: ["f\(folder)", "x.jpg"]))
        }
        let names = OutputNaming.names(for: items)
        #expect(Set(names.map { $0.lowercased() }).count == items.count)
        #expect(OutputNaming.names(for: items) == names)  // deterministic
    }

    @Test func outputFileNames() {
        let files = OutputFiles(name: "x")
        #expect(files.fileName(.alpha, format: .png) == "x_alpha.png")
        #expect(files.fileName(.cutout, format: .png) == "x_cutout.png")
        #expect(files.fileName(.cutout, format: .webp) == "x_cutout.webp")
        #expect(files.fileName(.composite, format: .jpeg) == "x_composite.jpg")
        #expect(files.fileName(MattingResult.File(output: .alpha, format: .png, bytes: [])) == "x_alpha.png")
    }
}
