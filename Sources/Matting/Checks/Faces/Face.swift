/// A face found by `FaceDetector`, in photo pixels: x to the right, y down, from the photo's top-left
/// corner (a box may reach past the photo's edges when the face does).
public struct Face: Sendable, Equatable, Codable {
    /// MediaPipe's six face keypoints, in the order of the model's outputs.
    public enum Landmark: String, Sendable, CaseIterable, Codable {
        case rightEye = "right_eye", leftEye = "left_eye", noseTip = "nose_tip", mouthCentre = "mouth_centre"
        case rightEarTragion = "right_ear_tragion", leftEarTragion = "left_ear_tragion"
    }

    public struct Box: Sendable, Equatable, Codable {
        public var x: Float, y: Float, width: Float, height: Float

        public init(x: Float, y: Float, width: Float, height: Float) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        public var area: Float { max(width, 0) * max(height, 0) }

        /// Intersection over union; 0 when either box is empty.
        public func overlap(_ other: Box) -> Float {
            let width = min(x + self.width, other.x + other.width) - max(x, other.x)
            let height = min(y + self.height, other.y + other.height) - max(y, other.y)
            guard width > 0, height > 0 else { return 0 }
            let intersection = width * height
            let union = area + other.area - intersection
            return union > 0 ? intersection / union : 0
        }
    }

    public struct Point: Sendable, Equatable, Codable {
        public var x: Float, y: Float

        public init(x: Float, y: Float) {
            self.x = x
            self.y = y
        }
    }

    /// The detector's confidence, in (0, 1).
    public var score: Float
    public var box: Box
    /// One point per `Landmark`, in its order.
    public var keypoints: [Point]

    public init(score: Float, box: Box, keypoints: [Point]) {
        self.score = score
        self.box = box
        self.keypoints = keypoints
    }

    /// The face with every coordinate mapped by `x * scale + offsetX`, `y * scale + offsetY`.
    func mapped(scale: Float, offsetX: Float, offsetY: Float) -> Face {
        Face(score: score,
             box: Box(x: box.x * scale + offsetX, y: box.y * scale + offsetY,
                      width: box.width * scale, height: box.height * scale),
             keypoints: keypoints.map { Point(x: $0.x * scale + offsetX, y: $0.y * scale + offsetY) })
    }
}
