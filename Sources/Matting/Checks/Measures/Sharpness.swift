import Imaging

/// Sharpness as the variance of the Laplacian (Pech-Pacheco, Cristóbal, Chamorro-Martínez and
/// Fernández-Valdivia, "Diatom autofocusing in brightfield microscopy: a comparative study", ICPR 2000):
/// blur removes the high frequencies the Laplacian responds to, so its spread shrinks.
///
/// The measure depends on resolution, contrast and content, so it is taken on the face only,
/// resampled to `faceSide` x `faceSide` luma values (`Luma.region`) whatever its size in the photo
/// (a face 400 pixels wide blurred by 4 pixels and one 100 wide blurred by 1 measure alike), and at a
/// fixed contrast: the variance is scaled as if the face's luma had a standard deviation of
/// `contrast`, so a dark or washed-out face is not taken for a blurred one.
enum Sharpness {
    /// The standard deviation of luma (of 255) the measure is scaled to.
    static let contrast: Float = 50

    /// The sharpness of the face in `box` of `image`.
    static func ofFace(_ image: Image, box: Face.Box) -> Float {
        let grey = Luma.region(of: image, box: box, side: faceSide)
        let mean = grey.reduce(0, +) / Float(grey.count)
        let variance = grey.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(grey.count)
        return laplacianVariance(grey, width: faceSide, height: faceSide) * contrast * contrast / max(variance, 1)
    }

    /// Side of the square the face box is resampled to.
    static let faceSide = 96

    /// Variance of the 4-neighbour Laplacian `[0 1 0; 1 -4 1; 0 1 0]` of `grey` (row-major, `width` x
    /// `height`, values in [0, 255]) over the pixels with four neighbours; 0 below 3 x 3.
    static func laplacianVariance(_ grey: [Float], width: Int, height: Int) -> Float {
        precondition(grey.count == width * height, "\(grey.count) values for \(width)x\(height)")
        guard width >= 3, height >= 3 else { return 0 }
        var sum: Double = 0, sumOfSquares: Double = 0
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                let centre = y * width + x
                let laplacian = grey[centre - 1] + grey[centre + 1] + grey[centre - width] + grey[centre + width]
                    - 4 * grey[centre]
                sum += Double(laplacian)
                sumOfSquares += Double(laplacian) * Double(laplacian)
            }
        }
        let count = Double((width - 2) * (height - 2))
        let mean = sum / count
        return Float(max(sumOfSquares / count - mean * mean, 0))
    }
}
