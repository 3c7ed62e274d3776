import Foundation
import Testing
import Imaging
@testable import Matting

/// rembg's pre-processing of U-2-Net-p's input, against the golden inputs of
/// scripts/references/u2netp_goldens.py (Pillow's Lanczos resize; NCHW there, NHWC here).
@Suite struct SalientObjectDetectorTests {
    @Test(arguments: ["astronaut", "grace_hopper", "camera"])
    func inputTensorMatchesRembg(photo: String) throws {
        let image = try SelfieSegmenterTests.photo(photo)
        let ours = SalientObjectDetector.inputTensor(for: image).scalars
        let url = SelfieSegmenterTests.fixtures.deletingLastPathComponent().appendingPathComponent("u2netp/\(photo)_input.f32")
        let data = try Data(contentsOf: url)
        let golden: [Float] = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        let size = SalientObjectDetector.size
        var differences: [Float] = []
        for y in 0..<size { for x in 0..<size { for channel in 0..<3 {
            differences.append(abs(ours[(y * size + x) * 3 + channel] - golden[(channel * size + y) * size + x]))
        } } }
        // One 8-bit level is about 0.018 after normalisation.
        let mean = differences.reduce(0, +) / Float(differences.count)
        #expect(mean < 0.002, "mean |diff| \(mean)")
        #expect(differences.max()! < 0.04, "max |diff| \(differences.max()!)")
    }

    @Test func lanczosKeepsConstantImages() {
        let image = Image(width: 37, height: 23, channels: 3, filling: 77)
        for (width, height) in [(320, 320), (10, 5), (37, 100)] {
            let resized = image.lanczosResized(width: width, height: height)
            #expect(resized.width == width && resized.height == height)
            #expect(resized.pixels.allSatisfy { $0 == 77 })
        }
    }
}
