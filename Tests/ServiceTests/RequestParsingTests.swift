import Foundation
import Imaging
@testable import Matting
@testable import Service
import Testing

/// The pieces under the routes: multipart and form parsing, options, the address policy.
@Suite struct RequestParsingTests {
    @Test func multipartPartsAndFiles() throws {
        let form = Samples.multipart([
            ("image", "a.png", "image/png", [1, 2, 3, 13, 10, 45, 45]),  // content holding CR LF - -
            ("output", nil, nil, Samples.text("alpha")),
            ("background", nil, "text/plain", Samples.text("blur")),
        ])
        let parsed = try MultipartForm(body: form.body, boundary: "matte-test-boundary")
        #expect(parsed.parts.map(\.name) == ["image", "output", "background"])
        #expect(Array(parsed.parts[0].content) == [1, 2, 3, 13, 10, 45, 45])
        #expect(parsed.parts[0].isFile)
        #expect(!parsed.parts[1].isFile && !parsed.parts[2].isFile)
        #expect(parsed.parts[0].filename == "a.png")
    }

    @Test func multipartWithPreambleAndQuotedBoundary() throws {
        let body = Array("preamble\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue\r\n--b--".utf8)
        #expect(try MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"b\"") == "b")
        #expect(try MultipartForm.boundary(contentType: "image/png") == nil)
        let parsed = try MultipartForm(body: body, boundary: "b")
        #expect(parsed.parts.count == 1)
        #expect(String(decoding: parsed.parts[0].content, as: UTF8.self) == "value")
    }

    /// Every prefix of a valid body, and garbage, is refused or parsed without trapping.
    @Test func multipartNeverTraps() throws {
        let form = Samples.multipart([("image", "a.png", "image/png", Array(repeating: 7, count: 50)),
                                      ("output", nil, nil, Samples.text("alpha"))])
        for length in 0...form.body.count {
            _ = try? MultipartForm(body: Array(form.body.prefix(length)), boundary: "matte-test-boundary")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var body = form.body
            for _ in 0..<5 { body[Int.random(in: 0..<body.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? MultipartForm(body: body, boundary: "matte-test-boundary")
        }
        #expect(throws: ServiceError.self) { try MultipartForm(body: [], boundary: "x") }
    }

    /// Bytes above 0x7F where a part's header name stands would index past multipart-kit's table of
    /// name characters: refused before it reads them, wherever the block is (first part, later part,
    /// after a preamble, after another header line).
    @Test func nonASCIIHeaderNamesAreRefused() throws {
        let bodies = [
            "--b\r\n\u{e9}: x\r\n\r\nvalue\r\n--b--\r\n",
            "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\u{e9}t\u{e9}: x\r\n\r\nv\r\n--b--\r\n",
            "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--b\r\n\u{ff}\r\n\r\nw\r\n--b--\r\n",
            "---b\r\n\r\nAAA--b\r\n\u{e9}: x\r\n\r\n",  // a delimiter the parser finds past one it skips
        ]
        for body in bodies {
            #expect(throws: ServiceError.self, "\(body)") { try MultipartForm(body: Array(body.utf8), boundary: "b") }
        }
        // Non-ASCII in a header's value (a file name) is fine.
        let named = Samples.multipart([("image", "portr\u{e4}t.png", "image/png", [1, 2, 3])])
        #expect(try MultipartForm(body: named.body, boundary: "matte-test-boundary").parts[0].filename == "portr\u{e4}t.png")
    }

    /// Content cut by carriage returns at every byte (one buffer each in the parser) is refused early.
    @Test func contentOfCarriageReturnsIsRefused() throws {
        var body = Array("--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n".utf8)
        body += [UInt8](repeating: 13, count: 4 << 20) + Array("\r\n--b--\r\n".utf8)
        #expect(throws: ServiceError.self) { try MultipartForm(body: body, boundary: "b") }
        // One CR in 256 bytes, as in a JPEG, is fine.
        let content = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        let form = Samples.multipart([("image", "p.jpg", "image/jpeg", content)])
        #expect(try MultipartForm(body: form.body, boundary: "matte-test-boundary").parts[0].content == content)
    }

    @Test func truncatedOrEmptyBodiesAreRefused() throws {
        let form = Samples.multipart([("image", "a.png", "image/png", [1, 2, 3]), ("output", nil, nil, Samples.text("alpha"))])
        // Every cut short of the closing delimiter's second hyphen.
        let closing = form.body.count - "-\r\n".utf8.count
        for length in 0..<closing {
            #expect(throws: ServiceError.self, "\(length) bytes") {
                try MultipartForm(body: Array(form.body.prefix(length)), boundary: "matte-test-boundary")
            }
        }
        #expect(try MultipartForm(body: Array(form.body.prefix(closing + 1)), boundary: "matte-test-boundary").parts.count == 2)
        #expect(throws: ServiceError.self) { try MultipartForm(body: Array("no delimiter here".utf8), boundary: "b") }
        let tooMany = Samples.multipart((0...MultipartForm.maxParts).map { ("f\($0)", nil, nil, Samples.text("x")) })
        #expect(throws: ServiceError.self) { try MultipartForm(body: tooMany.body, boundary: "matte-test-boundary") }
    }

    @Test func findMatchesANaiveSearch() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...60, using: &generator)).map { _ in UInt8.random(in: 0...2, using: &generator) }
            let pattern = (0..<Int.random(in: 1...4, using: &generator)).map { _ in UInt8.random(in: 0...2, using: &generator) }
            let expected = bytes.count < pattern.count ? nil
                : (0...(bytes.count - pattern.count)).first { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) }
            #expect(bytes.withUnsafeBufferPointer { MultipartForm.find(pattern, in: $0, from: 0) } == expected)
        }
    }

    @Test func formFieldsDecode() throws {
        let fields = try FormFields.parse("url=http%3A%2F%2Fh%2Fp%3Fq%3D1&b=x+y%21&&c&a=1")
        #expect(fields.map(\.name) == ["a", "b", "url"])  // sorted; `c` without `=` is skipped
        #expect(fields.map(\.value) == ["1", "x y!", "http://h/p?q=1"])
        #expect(try FormFields.parse("").isEmpty)
        #expect(throws: ServiceError.self) { try FormFields.parse("a=%G1") }
        #expect(throws: ServiceError.self) { try FormFields.parse("a=%") }
        #expect(throws: ServiceError.self) { try FormFields.parse("a=%FF") }  // not UTF-8
        #expect(throws: ServiceError.self) { try FormFields.parse("a[b]=1") }
        do {
            _ = try FormFields.parse("output=alpha&mode=fast&output=cutout")
            Issue.record("a repeated name was accepted")
        } catch {
            #expect(error.code == "invalid_option" && error.message.contains("more than once"), "\(error)")
        }
    }

    @Test func options() throws {
        let defaults = try MatteOptions.parse([])
        #expect(defaults == MatteOptions())
        let options = try MatteOptions.parse([("output", "composite"), ("background", "#0A0b0C"), ("format", "jpeg"),
                                              ("mode", "best"), ("quality", "40")])
        #expect(options.output == .composite)
        #expect(options.background == "#0A0b0C")
        #expect(options.format == .jpeg && options.quality == 40)
        #expect(options.mode == .best)
        let request = try options.request(maxPixels: 1000, json: false)
        #expect(request == MattingRequest(mode: .best, outputs: [.composite], format: .jpeg, quality: 40,
                                          background: "#0A0b0C", maxPixels: 1000))
        let withFile = try MatteOptions.parse([], backgroundFile: true)
        #expect(withFile.output == .composite && withFile.background == "image")
        #expect(throws: ServiceError.self) { try MatteOptions.parse([("background", "blur")], backgroundFile: true) }
        #expect(throws: ServiceError.self) {
            try MatteOptions.parse([("output", "alpha")], backgroundFile: true).request(maxPixels: 1000, json: false)
        }
        #expect(throws: ServiceError.self) { try MatteOptions.parse([("url", "")]) }
        #expect(throws: ServiceError.self) { try MatteOptions.parse([("quality", "high")]) }
        // A JSON answer carries the matte and the cut-out besides the chosen output; no cut-out in JPEG.
        #expect(try MatteOptions.parse([]).request(maxPixels: 1, json: true).resolvedOutputs == [.alpha, .cutout])
        let jpeg = try MatteOptions.parse([("output", "composite"), ("format", "jpeg")])
        #expect(try jpeg.request(maxPixels: 1, json: true).resolvedOutputs == [.alpha, .composite])
    }

    /// Each `background=` spelling, and the ones refused.
    @Test func backgroundSpellings() throws {
        let read: [(String, Backdrop)] = [
            ("#0A0b0C", .colour(red: 10, green: 11, blue: 12)), ("ff8000", .colour(red: 255, green: 128, blue: 0)),
            ("Grey", .colour(red: 128, green: 128, blue: 128)), ("blur", .blur(radius: nil)), ("blur:25", .blur(radius: 25)),
        ]
        for (value, backdrop) in read {
            let options = try MatteOptions.parse([("output", "composite"), ("background", value)])
            #expect(try options.request(maxPixels: 1, json: false).backdrop == backdrop, "\(value)")
        }
        for value in ["", "#12345", "12345g", "blur:0", "blur:1001", "blur:wide", "mauve-ish", "https://example.org/b.png"] {
            #expect(throws: ServiceError.self, "\(value)") { try MatteOptions.parse([("output", "composite"), ("background", value)]) }
        }
    }
}
