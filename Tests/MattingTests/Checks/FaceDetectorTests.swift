import Foundation
import Testing
import Imaging
@testable import Matting

/// Our face detector, pre-processing to weighted non-maximum suppression, against MediaPipe's own
/// detections: goldens from scripts/references/face_goldens.py.
@Suite struct FaceDetectorTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/goldens/face")

    struct Manifest: Decodable {
        struct Photo: Decodable {
            struct Detection: Decodable {
                var score: Float
                var box: [Float]
                var keypoints: [[Float]]
            }
            var width: Int
            var height: Int
            var mediapipe_detections: [Detection]
        }
        var photos: [String: Photo]
    }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: fixtures.appendingPathComponent("manifest.json")))
    }

    @Test(arguments: ["astronaut", "grace_hopper", "camera"])
    func inputTensorMatchesReference(photo: String) throws {
        let expected = try SelfieSegmenterTests.values("../face/\(photo)_input.f32")
        let ours = FaceDetector.inputTensor(for: try SelfieSegmenterTests.photo(photo)).scalars
        #expect(ours.count == expected.count)
        let difference = zip(ours, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference < 1e-5, "max |diff| \(difference)")
    }

    /// Boxes and keypoints within 2% of the photo's size of MediaPipe's, scores within 0.01.
    @Test(arguments: ["astronaut", "grace_hopper", "camera"])
    func facesMatchMediaPipe(photo: String) throws {
        let detector = try FaceDetector(directory: ModelFiles.defaultDirectory)
        let image = try SelfieSegmenterTests.photo(photo)
        let expected = try #require(try Self.manifest().photos[photo])
        let faces = try detector.faces(in: image, threads: 2)
        try #require(faces.count == expected.mediapipe_detections.count)
        let width = Float(image.width), height = Float(image.height)
        for (face, reference) in zip(faces, expected.mediapipe_detections) {
            #expect(abs(face.score - reference.score) < 0.01)
            let box = [face.box.x / width, face.box.y / height, face.box.width / width, face.box.height / height]
            for (ours, theirs) in zip(box, reference.box) {
                #expect(abs(ours - theirs) < 0.02, "box \(box) against \(reference.box)")
            }
            for (point, theirs) in zip(face.keypoints, reference.keypoints) {
                #expect(abs(point.x / width - theirs[0]) < 0.02 && abs(point.y / height - theirs[1]) < 0.02)
            }
        }
    }

    @Test func anchorsFollowTheGraph() {
        let anchors = FaceAnchors.shortRange
        #expect(anchors.count == 896)
        // Stride 8: 16 x 16 cells of two anchors; then stride 16: 8 x 8 cells of six.
        #expect(anchors[0] == Face.Point(x: 0.5 / 16, y: 0.5 / 16) && anchors[1] == anchors[0])
        #expect(anchors[2] == Face.Point(x: 1.5 / 16, y: 0.5 / 16))
        #expect(anchors[511] == Face.Point(x: 15.5 / 16, y: 15.5 / 16))
        #expect(anchors[512] == Face.Point(x: 0.5 / 8, y: 0.5 / 8) && anchors[517] == anchors[512])
        #expect(anchors[518] == Face.Point(x: 1.5 / 8, y: 0.5 / 8))
        #expect(FaceAnchors.centres(inputSize: 192, strides: [4], anchorsPerLayer: 1).count == 2304)
    }

    @Test func decodingPlacesBoxesOnAnchors() {
        let anchors = [Face.Point(x: 0.25, y: 0.25), Face.Point(x: 0.75, y: 0.5)]
        var regressors = [Float](repeating: 0, count: 32)
        // Anchor 1: centre moved by (12.8, -6.4) input pixels of 128, 32 x 64 pixels, nose tip at +6.4 x.
        regressors[16...19] = [12.8, -6.4, 32, 64]
        regressors[16 + 4 + 2 * 2] = 6.4
        let faces = FaceDecoding.decode(regressors: regressors, classificators: [-1, 2], anchors: anchors, inputSize: 128)
        try? #require(faces.count == 1)  // sigmoid(-1) = 0.27 is dropped
        let face = faces[0]
        #expect(abs(face.score - 1 / (1 + exp(-2))) < 1e-6)
        #expect(abs(face.box.x - (0.85 - 0.125)) < 1e-6 && abs(face.box.y - (0.45 - 0.25)) < 1e-6)
        #expect(abs(face.box.width - 0.25) < 1e-6 && abs(face.box.height - 0.5) < 1e-6)
        #expect(abs(face.keypoints[2].x - 0.8) < 1e-6 && face.keypoints[0] == anchors[1])
        // Logits beyond +-100 are clamped, not overflowed.
        #expect(FaceDecoding.decode(regressors: regressors, classificators: [1e30, -1e30], anchors: anchors, inputSize: 128).count == 1)
    }

    @Test func overlappingFacesMergeByScore() {
        func face(_ x: Float, _ score: Float) -> Face {
            Face(score: score, box: Face.Box(x: x, y: 0, width: 1, height: 1),
                 keypoints: [Face.Point(x: x, y: 0)])
        }
        // 0 and 0.2 overlap by 0.8 / 1.2 = 0.67: merged, weighted 0.9 : 0.6 (x = 0.12 / 1.5); the face at 5 stands alone.
        let merged = FaceDecoding.mergeOverlapping([face(0.2, 0.6), face(5, 0.7), face(0, 0.9)])
        #expect(merged.count == 2)
        #expect(merged[0].score == 0.9 && merged[1].score == 0.7)
        #expect(abs(merged[0].box.x - 0.08) < 1e-6 && abs(merged[0].box.width - 1) < 1e-6)
        #expect(abs(merged[0].keypoints[0].x - 0.08) < 1e-6)
        #expect(merged[1].box.x == 5)
        // Overlap 0.25 (0.4 / 1.6) is not above 0.3: both stay.
        #expect(FaceDecoding.mergeOverlapping([face(0, 0.9), face(0.6, 0.8)]).count == 2)
    }
}
