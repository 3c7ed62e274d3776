import Foundation

/// From the face detector's raw outputs to faces, as MediaPipe's `TensorsToDetectionsCalculator` and
/// `NonMaxSuppressionCalculator` do it with the options of `face_detection.pbtxt`.
enum FaceDecoding {
    /// Values per anchor in `regressors`: box centre x, y, width, height, then six keypoints' x, y.
    static let valuesPerAnchor = 16
    /// Faces scored below this are dropped (`min_score_thresh` of the short-range graph).
    static let minimumScore: Float = 0.5
    /// Faces overlapping a better one by more than this (intersection over union) merge into it.
    static let mergingOverlap: Float = 0.3

    /// The faces above `minimumScore`, in the input's unit square.
    ///
    /// For anchor `a` with raw values `r` (scaled by the input size `s`): centre `(r0 / s + a.x,
    /// r1 / s + a.y)`, size `(r2 / s, r3 / s)`, keypoint `k` at `(r[4 + 2k] / s + a.x, r[5 + 2k] / s + a.y)`;
    /// score `sigmoid(clamp(logit, -100, 100))`.
    /// - Parameters:
    ///   - regressors: `[anchors, 16]` row-major.
    ///   - classificators: `[anchors]` logits.
    static func decode(regressors: [Float], classificators: [Float], anchors: [Face.Point], inputSize: Int,
                       minimumScore: Float = minimumScore) -> [Face] {
        precondition(regressors.count == anchors.count * valuesPerAnchor && classificators.count == anchors.count,
                     "outputs do not match \(anchors.count) anchors")
        let scale = 1 / Float(inputSize)
        var faces: [Face] = []
        for (index, anchor) in anchors.enumerated() {
            let logit = min(max(classificators[index], -100), 100)
            let score = 1 / (1 + exp(-logit))
            guard score >= minimumScore else { continue }
            let raw = regressors[(index * valuesPerAnchor)..<((index + 1) * valuesPerAnchor)]
            let base = raw.startIndex
            let centreX = raw[base] * scale + anchor.x, centreY = raw[base + 1] * scale + anchor.y
            let width = raw[base + 2] * scale, height = raw[base + 3] * scale
            let keypoints = (0..<Face.Landmark.allCases.count).map { keypoint in
                Face.Point(x: raw[base + 4 + 2 * keypoint] * scale + anchor.x,
                           y: raw[base + 5 + 2 * keypoint] * scale + anchor.y)
            }
            faces.append(Face(score: score,
                              box: Face.Box(x: centreX - width / 2, y: centreY - height / 2, width: width, height: height),
                              keypoints: keypoints))
        }
        return faces
    }

    /// Weighted non-maximum suppression: the best remaining face takes every remaining face that
    /// overlaps it by more than `overlap` (itself included) and becomes their score-weighted average
    /// box and keypoints, keeping its own score; repeated until none remain. Best first.
    static func mergeOverlapping(_ faces: [Face], overlap: Float = mergingOverlap) -> [Face] {
        // Stable: equal scores keep the anchors' order, as MediaPipe's sort of (index, score) pairs does.
        var remaining = faces.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }
            .map(\.element)
        var merged: [Face] = []
        while let best = remaining.first {
            var group: [Face] = [], rest: [Face] = []
            for face in remaining {
                if best.box.overlap(face.box) > overlap { group.append(face) } else { rest.append(face) }
            }
            if group.isEmpty { group = [best]; rest.removeFirst() }
            let total = group.reduce(0) { $0 + $1.score }
            func average(_ value: (Face) -> Float) -> Float { group.reduce(0) { $0 + value($1) * $1.score } / total }
            let x = average { $0.box.x }, y = average { $0.box.y }
            let right = average { $0.box.x + $0.box.width }, bottom = average { $0.box.y + $0.box.height }
            let keypoints = best.keypoints.indices.map { keypoint in
                Face.Point(x: average { $0.keypoints[keypoint].x }, y: average { $0.keypoints[keypoint].y })
            }
            merged.append(Face(score: best.score, box: Face.Box(x: x, y: y, width: right - x, height: bottom - y),
                               keypoints: keypoints))
            remaining = rest
        }
        return merged
    }
}
