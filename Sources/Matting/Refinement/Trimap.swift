import Parallelism

/// A trimap: each pixel known background, known foreground, or unknown (to be solved).
///
/// `values` holds one byte per pixel, row-major: 0 is background, 255 foreground, anything else
/// unknown (`make` writes 128), the convention of the alphamatting.com trimaps.
public struct Trimap: Sendable, Equatable {
    public static let background: UInt8 = 0
    public static let foreground: UInt8 = 255
    public static let unknown: UInt8 = 128

    public var width: Int
    public var height: Int
    public var values: [UInt8]

    public init(width: Int, height: Int, values: [UInt8]) {
        precondition(width >= 0 && height >= 0 && values.count == width * height,
                     "\(values.count) values do not fill \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// A trimap from a plane in [0, 1]: values that round to 0 or 255 in 8 bits are background or
    /// foreground, the rest unknown.
    public init(plane: Plane) {
        self.init(width: plane.width, height: plane.height, values: plane.values.map { Plane.byte($0) })
    }

    @inline(__always)
    public static func isUnknown(_ value: UInt8) -> Bool {
        value != background && value != foreground
    }

    public var unknownCount: Int { values.reduce(0) { $0 + (Self.isUnknown($1) ? 1 : 0) } }

    /// The trimap as a plane: 0 background, 1 foreground, 0.5 unknown.
    public func plane() -> Plane {
        Plane(width: width, height: height, values: values.map {
            $0 == Self.background ? 0 : $0 == Self.foreground ? 1 : 0.5
        })
    }

    /// A trimap from a foreground probability map at full resolution.
    ///
    /// Pixels with probability at least `foregroundThreshold` are sure foreground, at most
    /// `backgroundThreshold` sure background, and those in between uncertain (unknown). Both sure
    /// regions are then eroded by a disc of radius `bandWidth / 2`: a pixel stays known only if no
    /// pixel of another kind lies within that Euclidean distance. Across a sharp boundary the unknown
    /// band is thus about `bandWidth` pixels wide, straddling it; soft boundaries widen it by their
    /// uncertain zone. The image border is not a boundary (a person cut by the frame keeps a known
    /// foreground there).
    ///
    /// - Parameters:
    ///   - probability: foreground probability per pixel, [0, 1].
    ///   - bandWidth: width in pixels of the unknown band laid across boundaries, >= 0 (see
    ///     `suggestedBandWidth(probability:)` for one scaled to the subject).
    ///   - threads: the two distance transforms run at once when 2 or more.
    public static func make(probability: Plane, bandWidth: Int, foregroundThreshold: Float = 0.95,
                            backgroundThreshold: Float = 0.05, threads: Int = 1) -> Trimap {
        let width = probability.width, height = probability.height
        let sureForeground = probability.values.map { $0 >= foregroundThreshold }
        let sureBackground = probability.values.map { $0 <= backgroundThreshold }
        // Erosion by a disc of radius r: keep pixels whose nearest outsider is farther than r.
        let radius = Double(max(bandWidth, 0)) / 2
        let limit = radius * radius
        let outsides = [sureForeground.map { !$0 }, sureBackground.map { !$0 }]
        var distances = [[Double]](repeating: [], count: 2)
        distances.withUnsafeMutableBufferPointer { distances in
            nonisolated(unsafe) let distances = distances
            parallelFor(2, threads: threads) { kinds in
                for kind in kinds {
                    distances[kind] = DistanceTransform.squaredDistances(to: outsides[kind], width: width, height: height)
                }
            }
        }
        let toOutsideForeground = distances[0], toOutsideBackground = distances[1]
        var values = [UInt8](repeating: unknown, count: width * height)
        for index in values.indices {
            if sureForeground[index] && toOutsideForeground[index] > limit {
                values[index] = foreground
            } else if sureBackground[index] && toOutsideBackground[index] > limit {
                values[index] = background
            }
        }
        return Trimap(width: width, height: height, values: values)
    }

    /// A band width scaled to the subject: 4% of the side of a square with the subject's area
    /// (pixels of probability >= 0.5), at least 3 pixels. About 30 pixels for a person filling a
    /// 1080p portrait, about 15 for the objects of the alphamatting.com set.
    public static func suggestedBandWidth(probability: Plane) -> Int {
        let area = probability.values.reduce(0) { $0 + ($1 >= 0.5 ? 1 : 0) }
        return max(3, Int((Double(area).squareRoot() * 0.04).rounded()))
    }
}

/// Exact Euclidean distance transforms: Felzenszwalb and Huttenlocher, "Distance Transforms of
/// Sampled Functions" (Theory of Computing 2012), one pass of lower envelopes of parabolas along
/// columns then along rows.
enum DistanceTransform {
    /// Squared distance from each pixel to the nearest pixel where `targets` is true (0 on targets,
    /// `.infinity` everywhere if there are none). `targets` is `width * height`, row-major.
    static func squaredDistances(to targets: [Bool], width: Int, height: Int) -> [Double] {
        precondition(targets.count == width * height)
        var distances = targets.map { $0 ? 0.0 : .infinity }
        var line = [Double](repeating: 0, count: max(width, height))
        var output = line
        var scratch = Envelope(length: max(width, height))
        for x in 0..<width {
            for y in 0..<height { line[y] = distances[y * width + x] }
            scratch.transform(line, count: height, into: &output)
            for y in 0..<height { distances[y * width + x] = output[y] }
        }
        for y in 0..<height {
            for x in 0..<width { line[x] = distances[y * width + x] }
            scratch.transform(line, count: width, into: &output)
            for x in 0..<width { distances[y * width + x] = output[x] }
        }
        return distances
    }

    /// Working space of the one-dimensional transform.
    struct Envelope {
        var vertices: [Int]
        var boundaries: [Double]

        init(length: Int) {
            vertices = [Int](repeating: 0, count: max(length, 1))
            boundaries = [Double](repeating: 0, count: max(length, 1) + 1)
        }

        /// output[q] = min over p of (q - p)^2 + values[p], for q, p in 0..<count.
        mutating func transform(_ values: [Double], count: Int, into output: inout [Double]) {
            // Parabolas rooted at finite values only; with none, everything stays infinite.
            var hull = -1
            for p in 0..<count where values[p].isFinite {
                while hull >= 0 {
                    let q = vertices[hull]
                    let crossing = ((values[p] + Double(p * p)) - (values[q] + Double(q * q))) / Double(2 * (p - q))
                    if crossing <= boundaries[hull] { hull -= 1 } else {
                        hull += 1
                        vertices[hull] = p
                        boundaries[hull] = crossing
                        break
                    }
                }
                if hull < 0 {
                    hull = 0
                    vertices[0] = p
                    boundaries[0] = -.infinity
                }
            }
            guard hull >= 0 else {
                for q in 0..<count { output[q] = .infinity }
                return
            }
            boundaries[hull + 1] = .infinity
            var k = 0
            for q in 0..<count {
                while boundaries[k + 1] < Double(q) { k += 1 }
                let p = vertices[k]
                output[q] = Double((q - p) * (q - p)) + values[p]
            }
        }
    }
}
