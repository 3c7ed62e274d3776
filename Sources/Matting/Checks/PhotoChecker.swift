import Foundation
import Imaging
import Inference

/// Checks a photo before it is matted: faces (`FaceDetector`), the person mask (`SelfieSegmenter`),
/// and the measures taken from them (`PersonCoverage`, `Sharpness`, `Exposure`), turned into warnings
/// by `CheckThresholds`. Loads its networks once; `check` may be called from several threads at once.
public final class PhotoChecker: Sendable {
    public let faceDetector: FaceDetector
    public let segmenter: SelfieSegmenter
    public let thresholds: CheckThresholds

    public init(faceDetector: FaceDetector, segmenter: SelfieSegmenter, thresholds: CheckThresholds = CheckThresholds()) {
        self.faceDetector = faceDetector
        self.segmenter = segmenter
        self.thresholds = thresholds
    }

    public convenience init(modelDirectory: String = ModelFiles.defaultDirectory) throws {
        try self.init(faceDetector: FaceDetector(directory: modelDirectory),
                      segmenter: SelfieSegmenter(directory: modelDirectory))
    }

    /// Checks `image` (any channel count; RGBA is flattened over white).
    /// - Parameter person: the selfie network's output for this photo when the caller has it already
    ///   (matting computes it); else it is computed here.
    public func check(_ image: Image, person: Plane? = nil, threads: Int = 1) throws(ModelError) -> PhotoCheck {
        let clock = ContinuousClock()
        var timings = CheckTimings()
        var start = clock.now
        let opaque = image.channels == 4 ? image.flattened(over: (255, 255, 255)) : image
        let person = if let person { person } else { try segmenter.probabilities(for: opaque, threads: threads) }
        timings.person = clock.now - start
        start = clock.now
        let faces = try faceDetector.faces(in: opaque, focus: Self.headSquare(person: person, width: image.width, height: image.height),
                                           threads: threads)
        timings.faces = clock.now - start
        start = clock.now
        let coverage = PersonCoverage(person: person)
        let largest = faces.max { $0.box.area < $1.box.area }
        let sharpness = largest.map { Sharpness.ofFace(opaque, box: $0.box) }
        let exposure = Exposure(image: opaque, face: largest?.box, person: person)
        var check = PhotoCheck(width: image.width, height: image.height, faces: faces,
                               personFraction: coverage.fraction, sharpness: sharpness, exposure: exposure,
                               warnings: [])
        check.warnings = warnings(check, coverage: coverage, largest: largest)
        timings.measures = clock.now - start
        check.timings = timings
        return check
    }

    /// Where a small person's head should be: a square as wide as the person mask's bounding box is
    /// tall or wide, centred on it across and starting at its top; nil when no cell is a person or the
    /// person is large enough (box over half the photo's longer side) for the whole photo to show the face.
    static func headSquare(person: Plane, width: Int, height: Int) -> FaceDetector.Square? {
        var left = person.width, right = -1, top = person.height, bottom = -1
        for y in 0..<person.height {
            for x in 0..<person.width where person[x, y] >= 0.5 {
                left = min(left, x); right = max(right, x); top = min(top, y); bottom = max(bottom, y)
            }
        }
        guard right >= 0 else { return nil }
        let scaleX = Double(width) / Double(person.width), scaleY = Double(height) / Double(person.height)
        let boxWidth = Double(right - left + 1) * scaleX, boxHeight = Double(bottom - top + 1) * scaleY
        let side = max(boxWidth, boxHeight, 32)
        guard side <= 0.5 * Double(max(width, height)) else { return nil }
        return FaceDetector.Square(x: Double(left) * scaleX + boxWidth / 2 - side / 2, y: Double(top) * scaleY, side: side)
    }

    func warnings(_ check: PhotoCheck, coverage: PersonCoverage, largest: Face?) -> [CheckWarning] {
        let limits = thresholds
        var warnings: [CheckWarning] = []
        func percent(_ value: Float) -> String { "\(Int((value * 100).rounded()))%" }
        // The person mask alone does not tell a person: the selfie network marks a cat's face or a
        // cup as a person too (chelsea 0.91 of the photo, coffee 0.23). A face does.
        if largest == nil {
            warnings.append(.noPersonFound)
        }
        if check.faces.count > 1 {
            warnings.append(.init(.severalPeople, "\(check.faces.count) faces found: the matte keeps everyone; crop to one person if you want one"))
        }
        // A small or cut-off person may show no face the network can find: these two go by the mask.
        if coverage.fraction >= limits.minimumPersonFraction, coverage.fraction < limits.subjectTooSmall {
            warnings.append(.init(.subjectTooSmall, "the person covers \(percent(coverage.fraction)) of the photo; crop closer or use a photo where they fill more than a third"))
        }
        var cutOff = coverage.topEdgeShare > limits.topEdgeShare
        if let face = largest?.box {
            let margin = limits.faceOutside
            cutOff = cutOff || face.y < -margin * face.height || face.x < -margin * face.width
                || face.x + face.width > Float(check.width) + margin * face.width
        }
        if cutOff {
            warnings.append(.init(.subjectCutOff, "the person runs off the top or side of the photo; use a photo with some space around the head"))
        }
        if let sharpness = check.sharpness, sharpness < limits.blurry {
            warnings.append(.init(.blurry, "the face is blurred (sharpness \(Int(sharpness.rounded())), below \(Int(limits.blurry))); use a sharper photo, or expect soft edges"))
        }
        let exposure = check.exposure
        if let mean = exposure.faceMean {
            if mean < limits.underexposedMean || (exposure.faceDarkShare ?? 0) > limits.underexposedDarkShare {
                warnings.append(.init(.underexposed, "the face is too dark (mean brightness \(percent(mean))); use a brighter photo"))
            }
            if mean > limits.overexposedMean || (exposure.faceBrightShare ?? 0) > limits.overexposedBrightShare {
                warnings.append(.init(.overexposed, "the face is too bright (mean brightness \(percent(mean))); use a photo with less light on it"))
            }
            if let background = exposure.backgroundMean, background - mean > limits.backlitDifference {
                warnings.append(.init(.backlit, "the background (brightness \(percent(background))) is much lighter than the face (\(percent(mean))); avoid light behind the person"))
            }
        }
        if check.width * check.height > limits.maximumPixels {
            warnings.append(.init(.resolutionTooLarge, "the photo is \(check.width)x\(check.height), above 2000x2000; edges may come out soft: scale it down"))
        }
        if min(check.width, check.height) < limits.minimumSide {
            warnings.append(.init(.resolutionTooSmall, "the photo is \(check.width)x\(check.height), under \(limits.minimumSide) pixels on a side; use a larger photo"))
        }
        return warnings
    }
}
