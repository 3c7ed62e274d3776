import Testing
@testable import Imaging

@Suite struct ImageFormatTests {
    @Test func sniffsEachSignature() {
        #expect(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == .png)
        #expect(ImageFormat.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
    }

    @Test func sniffRefusesOthers() {
        #expect(ImageFormat.sniff([UInt8]()) == nil)
        #expect(ImageFormat.sniff([0xFF, 0xD8]) == nil)
        #expect(ImageFormat.sniff(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8)) == nil)
        #expect(ImageFormat.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEB".utf8)) == nil)
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A]) == nil)
    }

    @Test func sniffsEncoderOutput() throws {
        let image = Fixtures.gradient(width: 5, height: 3, channels: 3)
        #expect(ImageFormat.sniff(try ImageEncoder.png(image)) == .png)
        #expect(ImageFormat.sniff(try ImageEncoder.webp(image)) == .webp)
        #expect(ImageFormat.sniff(try ImageEncoder.jpeg(image)) == .jpeg)
    }

    @Test func pathExtensions() {
        #expect(ImageFormat(pathExtension: "JPG") == .jpeg)
        #expect(ImageFormat(pathExtension: "jpeg") == .jpeg)
        #expect(ImageFormat(pathExtension: "png") == .png)
        #expect(ImageFormat(pathExtension: "WebP") == .webp)
        #expect(ImageFormat(pathExtension: "gif") == nil)
        #expect(ImageFormat.webp.mimeType == "image/webp")
    }
}
