import Imaging

/// How light the face, the person and the background are, as luma (`Luma`) over full scale, [0, 1].
///
/// The face figures follow OFIQ (the open face-image-quality library of Germany's BSI): the share of
/// face pixels with luma 0-25 (under-exposed) and 247-255 (over-exposed), and the mean, which OFIQ
/// finds good between about 0.2 and 0.8. The person and background means, from the person mask,
/// tell backlight: a background much lighter than the subject.
public struct Exposure: Sendable, Equatable, Codable {
    /// Mean face luma; nil without a face.
    public var faceMean: Float?
    /// Share of face pixels with luma 25 or less (of 255); nil without a face.
    public var faceDarkShare: Float?
    /// Share of face pixels with luma 247 or more; nil without a face.
    public var faceBrightShare: Float?
    /// Mean luma of the person (the mask at 0.5 or more); nil when no cell of the mask is a person.
    public var personMean: Float?
    /// Mean luma of the rest; nil when the person fills the photo.
    public var backgroundMean: Float?

    enum CodingKeys: String, CodingKey {
        case faceMean = "face_mean", faceDarkShare = "face_dark_share", faceBrightShare = "face_bright_share"
        case personMean = "person_mean", backgroundMean = "background_mean"
    }

    /// Face luma sampled on a `faceSide` x `faceSide` grid (`Luma.region`), for the shares.
    static let faceSide = 48

    /// - Parameters:
    ///   - face: the box of the face measured, if any.
    ///   - person: person probability on a grid stretched over the whole photo (the selfie
    ///     network's output): cell (x, y) stands for the photo pixel (x * W / w, y * H / h).
    init(image: Image, face: Face.Box?, person: Plane) {
        if let face {
            let values = Luma.region(of: image, box: face, side: Self.faceSide)
            let count = Float(values.count)
            faceMean = values.reduce(0, +) / count / 255
            faceDarkShare = Float(values.filter { $0 <= 25.5 }.count) / count
            faceBrightShare = Float(values.filter { $0 >= 246.5 }.count) / count
        }
        var personSum: Float = 0, personCount = 0, backgroundSum: Float = 0, backgroundCount = 0
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<person.height {
                let photoY = min(y * image.height / person.height, image.height - 1)
                for x in 0..<person.width {
                    let photoX = min(x * image.width / person.width, image.width - 1)
                    let luma = Luma.at(pixels, image, x: photoX, y: photoY)
                    if person[x, y] >= 0.5 {
                        personSum += luma
                        personCount += 1
                    } else {
                        backgroundSum += luma
                        backgroundCount += 1
                    }
                }
            }
        }
        personMean = personCount > 0 ? personSum / Float(personCount) / 255 : nil
        backgroundMean = backgroundCount > 0 ? backgroundSum / Float(backgroundCount) / 255 : nil
    }
}
