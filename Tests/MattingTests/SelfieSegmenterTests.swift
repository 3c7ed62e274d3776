import Foundation
import Testing
import Imaging
import Inference
@testable import Matting

/// Our pre-processing and network against MediaPipe's own: inputs and masks from
/// scripts/references/selfie_goldens.py.
@Suite struct SelfieSegmenterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/goldens/selfie")
    static let photos = ["astronaut": "astronaut.png", "grace_hopper": "grace_hopper.jpg", "camera": "extra/camera.png"]

    static func values(_ name: String, half: Bool = false) throws -> [Float] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            half
                ? (0..<data.count / 2).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
                : (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func photo(_ name: String) throws -> Image {
        let path = ModelFiles.samplesDirectory + "/" + photos[name]!
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MattingError.modelMissing(path: path, fetchCommand: ModelFiles.fetchCommand)
        }
        return try ImageDecoder.decode([UInt8](data))
    }

    @Test(arguments: ["astronaut", "grace_hopper", "camera"], SelfieSegmenter.Variant.allCases)
    func inputTensorMatchesReference(photo: String, variant: SelfieSegmenter.Variant) throws {
        let segmenter = try SelfieSegmenter(directory: ModelFiles.defaultDirectory, variant: variant)
        let model = variant == .general ? "selfie" : "landscape"
        let expected = try Self.values("\(photo)_\(model)_input.f32")
        let ours = segmenter.inputTensor(for: try Self.photo(photo)).scalars
        let difference = zip(ours, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference < 1e-5, "max |diff| \(difference)")
    }

    /// MediaPipe's mask is the network output brought to the photo's size by a half-pixel bilinear
    /// resize; ours, done the same way, must agree (float16 goldens: ~1e-3 resolution). In bfloat16 the
    /// mean stays as close; a few edge pixels move further (see `SelfieSegmenter.init`).
    @Test(arguments: ["astronaut", "grace_hopper", "camera"], [Precision.fp32, .bf16])
    func maskMatchesMediaPipe(photo: String, precision: Precision) throws {
        let segmenter = try SelfieSegmenter(directory: ModelFiles.defaultDirectory, variant: .general, precision: precision)
        let image = try Self.photo(photo)
        let mask = try segmenter.probabilities(for: image, threads: 2).resized(width: image.width, height: image.height)
        let expected = try Self.values("\(photo)_selfie_mediapipe_mask.f16", half: true)
        let differences = zip(mask.values, expected).map { abs($0.0 - $0.1) }
        let mean = differences.reduce(0, +) / Float(differences.count)
        #expect(mean < 1e-3, "mean |diff| \(mean)")
        #expect(differences.max()! < (segmenter.plan.precision == .bf16 ? 0.4 : 0.08), "max |diff| \(differences.max()!)")
    }
}
