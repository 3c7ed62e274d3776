import Foundation
import Imaging
import Testing
@testable import Matting

/// The README's library example, run as written: the code between the markers below is the README's
/// Swift block, line for line (the test checks that), so the example compiles and works.
@Suite struct ReadmeExampleTests {
    static func example(photoPath: String, outputFolder: String) throws {
        // README example begins
        let matter = try PortraitMatter(threads: 2)
        let request = MattingRequest(outputs: [.alpha, .composite], format: .jpeg, quality: 85, background: "blur")
        let photo = try Data(contentsOf: URL(fileURLWithPath: photoPath))
        let result = try matter.run(request, photo: .encoded(Array(photo)))
        for file in result.files {
            let name = "portrait_\(file.output.rawValue).\(file.format.fileExtension)"
            try Data(file.bytes).write(to: URL(fileURLWithPath: outputFolder + "/" + name))
        }
        print("\(result.width)x\(result.height) in \(result.timings.total)")
        // README example ends
    }

    @Test func exampleRunsAndMatchesTheReadme() throws {
        let folder = NSTemporaryDirectory() + "/matte-readme-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let photo = ModelFiles.samplesDirectory + "/grace_hopper.jpg"
        try Self.example(photoPath: photo, outputFolder: folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["portrait_alpha.png", "portrait_composite.jpg"])

        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let start = try #require(source.range(of: "// README example begins\n"))
        let end = try #require(source.range(of: "        // README example ends"))
        let body = source[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
        let readmePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md").path
        let readme = try String(contentsOfFile: readmePath, encoding: .utf8)
        let block = try #require(readme.range(of: "```swift\nimport Foundation\nimport Matting\n\n"))
        let blockEnd = try #require(readme.range(of: "```", range: block.upperBound..<readme.endIndex))
        #expect(String(readme[block.upperBound..<blockEnd.lowerBound]) == body.joined(separator: "\n"))
    }

    /// The JSON form: every key optional, unknown keys refused, values round-trip.
    @Test func jsonForm() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(MattingRequest.self, from: Data("{}".utf8)) == MattingRequest())
        let full = Data(#"{"mode":"fast","subject":"any","outputs":["alpha","composite"],"format":"webp","quality":80,"background":"blur:24","maxPixels":1000}"#.utf8)
        let request = try decoder.decode(MattingRequest.self, from: full)
        #expect(request == MattingRequest(mode: .fast, subject: .any, outputs: [.alpha, .composite], format: .webp,
                                          quality: 80, background: "blur:24", maxPixels: 1000))
        #expect(try decoder.decode(MattingRequest.self, from: JSONEncoder().encode(request)) == request)
        for bad in [#"{"size":"large"}"#, #"{"mode":"slow"}"#, #"{"outputs":"alpha"}"#, #"{"quality":"high"}"#, "[]"] {
            #expect(throws: DecodingError.self, "\(bad)") { try decoder.decode(MattingRequest.self, from: Data(bad.utf8)) }
        }
    }

    /// Every rule of `validate()`, each naming its field.
    @Test(arguments: [
        (MattingRequest(outputs: []), "outputs"),
        (MattingRequest(format: .jpeg), "format"),
        (MattingRequest(outputs: [.cutout, .composite], format: .jpeg), "format"),
        (MattingRequest(outputs: [.alpha], format: .webp), "format"),
        (MattingRequest(quality: 80), "quality"),
        (MattingRequest(format: .webp, quality: 101), "quality"),
        (MattingRequest(outputs: [.cutout], background: "blur"), "background"),
        (MattingRequest(background: "#12345"), "background"),
        (MattingRequest(background: "mauve-ish"), "background"),
        (MattingRequest(maxPixels: 0), "maxPixels"),
    ])
    func invalidRequestsNameTheField(request: MattingRequest, field: String) {
        #expect(throws: RequestError.self) { try request.validate() }
        do { try request.validate() } catch { #expect(error.field == field, "\(error)") }
    }

    @Test func defaultsAndBackdrops() throws {
        try MattingRequest().validate()
        #expect(MattingRequest().resolvedOutputs == [.alpha, .cutout])
        #expect(MattingRequest(background: "navy").resolvedOutputs == [.alpha, .cutout, .composite])
        #expect(MattingRequest(format: .jpeg, background: "blur").resolvedOutputs == [.alpha, .composite])
        #expect(MattingRequest(background: "#102030").backdrop == .colour(red: 16, green: 32, blue: 48))
        #expect(MattingRequest(background: "image").backdrop == nil)
        #expect(MattingRequest(background: "image").needsBackgroundImage)
    }

    /// The stages give what `run` gives; a missing background image and a bad photo name the part at fault.
    @Test func runReportsThePartAtFault() throws {
        let matter = try PortraitMatter(threads: 2)
        let photo = Image(width: 40, height: 30, channels: 3, filling: 120)
        #expect(throws: PhotoError.self) { try matter.run(MattingRequest(background: "image"), photo: .decoded(photo)) }
        do {
            _ = try matter.run(MattingRequest(), photo: .encoded([1, 2, 3]))
            Issue.record("garbage decoded")
        } catch {
            guard case .photo(.unsupportedFormat(_)) = error else { Issue.record("\(error)"); return }
        }
        let result = try matter.run(MattingRequest(outputs: [.cutout, .alpha], format: .webp), photo: .decoded(photo))
        #expect(result.files.map(\.output) == [.alpha, .cutout])
        #expect(result.files.map(\.format) == [.png, .webp])
        #expect(try ImageDecoder.decode(result[.alpha]!.bytes).width == 40)
    }
}
