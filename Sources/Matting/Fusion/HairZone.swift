/// Where a person's hair is likely: a rectangle around a detected face (`FaceDetector`), in which
/// `BranchFusion` lets the detail branch speak without the person prior's gate.
///
/// The selfie network is unsure of hair, most of all of dark hair at the crown and of loose hair at
/// the sides (its probability there often stays under 0.25, while U-2-Net-p sees the hair clearly);
/// away from the head the same unsureness more often marks something beside the person (a drape, a
/// bird's wing) that the salient-object detector takes in. So the gate stays shut far from the
/// person prior everywhere but here: from half a face height above the face box down to the middle
/// of the face, and half a face width out on either side. (BlazeFace's box runs from the brows to
/// the chin; hair reaches about that far above and beside it.)
///
/// Measured on the three portraits of ../shared/data/portraits (mean SAD / 1000 of best mode, with
/// the gate at 0.65): a zone reaching half a face height below the box's top 7.6; none 13.2 (the
/// crown of kodak15 lost); reaching 0.75 of the face's size in every direction 8.6 (a drape beside
/// kodak04's neck let in); 0.3 of a width out on either side 7.7.
public struct HairZone: Sendable, Equatable {
    /// Bounds as fractions of the photo's width and height (0...1 within the photo; may reach past).
    public var left: Float, top: Float, right: Float, bottom: Float

    public init(left: Float, top: Float, right: Float, bottom: Float) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    /// The zone of a face whose box (photo pixels) is `box`, in a `width` x `height` photo.
    public init(face box: Face.Box, width: Int, height: Int) {
        let photoWidth = Float(max(width, 1)), photoHeight = Float(max(height, 1))
        self.init(left: (box.x - 0.5 * box.width) / photoWidth, top: (box.y - 0.5 * box.height) / photoHeight,
                  right: (box.x + 1.5 * box.width) / photoWidth, bottom: (box.y + 0.5 * box.height) / photoHeight)
    }

    /// Marks the zones' cells on a `width` x `height` grid covering the photo, row-major.
    static func mask(_ zones: [HairZone], width: Int, height: Int) -> [Bool] {
        var inside = [Bool](repeating: false, count: width * height)
        for zone in zones {
            let left = max(0, Int((zone.left * Float(width)).rounded(.down)))
            let right = min(width, Int((zone.right * Float(width)).rounded(.up)))
            let top = max(0, Int((zone.top * Float(height)).rounded(.down)))
            let bottom = min(height, Int((zone.bottom * Float(height)).rounded(.up)))
            guard left < right && top < bottom else { continue }
            for y in top..<bottom {
                for x in left..<right { inside[y * width + x] = true }
            }
        }
        return inside
    }
}
