import Foundation

/// The errors of a predicted alpha matte against the true one, as the alphamatting.com benchmark
/// defines them (Rhemann et al., "A Perceptually Motivated Online Benchmark for Image Matting",
/// CVPR 2009) and as docs/quality.md states them.
///
/// With a trimap, the prediction is first forced to the trimap's known values (0 or 1) and the
/// sums run over the trimap's unknown pixels; without one, over the whole image. Alphas in [0, 1].
public struct MatteErrors: Sendable, Equatable {
    /// Sum of absolute differences, / 1000.
    public var sad: Double
    /// Mean squared difference per evaluated pixel.
    public var mse: Double
    /// Gradient error, / 1000 (see `gradientError`).
    public var gradient: Double
    /// Connectivity error, / 1000 (see `connectivityError`).
    public var connectivity: Double
    /// Pixels evaluated.
    public var pixelCount: Int

    public init(sad: Double, mse: Double, gradient: Double, connectivity: Double, pixelCount: Int) {
        self.sad = sad
        self.mse = mse
        self.gradient = gradient
        self.connectivity = connectivity
        self.pixelCount = pixelCount
    }

    /// All four errors of `prediction` against `truth` (same size), over the unknown pixels of
    /// `trimap` if given, else over the whole image.
    public static func measure(prediction: Plane, truth: Plane, trimap: Trimap? = nil) -> MatteErrors {
        let (forced, region) = evaluationInputs(prediction: prediction, truth: truth, trimap: trimap)
        var absolute = 0.0, squared = 0.0, count = 0
        for index in forced.values.indices where region[index] {
            let difference = Double(forced.values[index]) - Double(truth.values[index])
            absolute += abs(difference)
            squared += difference * difference
            count += 1
        }
        return MatteErrors(sad: absolute / 1000, mse: count > 0 ? squared / Double(count) : 0,
                           gradient: gradientError(forced, truth, region: region),
                           connectivity: connectivityError(forced, truth, region: region),
                           pixelCount: count)
    }

    /// The prediction forced to the trimap's known values, and the pixels to sum over.
    static func evaluationInputs(prediction: Plane, truth: Plane, trimap: Trimap?) -> (Plane, [Bool]) {
        precondition(prediction.width == truth.width && prediction.height == truth.height,
                     "prediction \(prediction.width)x\(prediction.height) against truth \(truth.width)x\(truth.height)")
        guard let trimap else {
            return (prediction, [Bool](repeating: true, count: prediction.values.count))
        }
        precondition(trimap.width == truth.width && trimap.height == truth.height,
                     "trimap \(trimap.width)x\(trimap.height) against truth \(truth.width)x\(truth.height)")
        var forced = prediction
        var region = [Bool](repeating: false, count: trimap.values.count)
        for (index, label) in trimap.values.enumerated() {
            switch label {
            case Trimap.background: forced.values[index] = 0
            case Trimap.foreground: forced.values[index] = 1
            default: region[index] = true
            }
        }
        return (forced, region)
    }

    /// Gradient error: both alphas min-max normalised over the image, gradient magnitudes by
    /// first-derivative-of-Gaussian filters with sigma 1.4 (the benchmark's `gaussgradient`: a
    /// 9x9 kernel, Gaussian along one axis times its derivative along the other, scaled to unit
    /// L2 norm, borders replicated), then the sum over `region` of
    /// (|grad truth| - |grad prediction|)^2, / 1000.
    static func gradientError(_ prediction: Plane, _ truth: Plane, region: [Bool]) -> Double {
        let width = truth.width, height = truth.height
        let predicted = GaussianGradient.magnitudes(GaussianGradient.normalised(prediction), width: width, height: height)
        let expected = GaussianGradient.magnitudes(GaussianGradient.normalised(truth), width: width, height: height)
        var sum = 0.0
        for index in region.indices where region[index] {
            let difference = expected[index] - predicted[index]
            sum += difference * difference
        }
        return sum / 1000
    }

    /// Connectivity error: for thresholds t = 0.1, 0.2, ..., 1.0, the largest 4-connected component
    /// of pixels with both alphas >= t; each pixel's level l is the last threshold before the first
    /// one at which it falls outside that component (1 if it never does). With d = alpha - l and
    /// phi = 1 - d [d >= 0.15], the error is the sum over `region` of |phi_truth - phi_prediction|,
    /// / 1000.
    static func connectivityError(_ prediction: Plane, _ truth: Plane, region: [Bool]) -> Double {
        let width = truth.width, height = truth.height
        var level = [Double](repeating: -1, count: width * height)
        for step in 1...10 {
            let threshold = Double(step) / 10
            let both = (0..<width * height).map {
                Double(prediction.values[$0]) >= threshold && Double(truth.values[$0]) >= threshold
            }
            let component = ConnectedComponents.largest(both, width: width, height: height)
            for index in level.indices where level[index] == -1 && !component[index] {
                level[index] = Double(step - 1) / 10
            }
        }
        func phi(_ alpha: Float, _ level: Double) -> Double {
            let distance = Double(alpha) - (level == -1 ? 1 : level)
            return distance >= 0.15 ? 1 - distance : 1
        }
        var sum = 0.0
        for index in region.indices where region[index] {
            sum += abs(phi(truth.values[index], level[index]) - phi(prediction.values[index], level[index]))
        }
        return sum / 1000
    }
}

/// Gaussian-derivative gradients, as the alphamatting.com evaluation computes them.
enum GaussianGradient {
    static let sigma = 1.4

    /// Values min-max scaled to [0, 1] (all zeros for a constant plane), in double precision.
    static func normalised(_ plane: Plane) -> [Double] {
        let low = Double(plane.values.min() ?? 0), high = Double(plane.values.max() ?? 0)
        guard high > low else { return [Double](repeating: 0, count: plane.values.count) }
        return plane.values.map { (Double($0) - low) / (high - low) }
    }

    /// Half size of the kernel: ceil(sigma sqrt(-2 ln(sqrt(2 pi) sigma 0.01))), 4 for sigma 1.4.
    static var halfSize: Int {
        Int((sigma * (-2 * log((2 * Double.pi).squareRoot() * sigma * 0.01)).squareRoot()).rounded(.up))
    }

    /// The kernel's two factors: `smooth` along one axis, `derivative` along the other, scaled so
    /// that their outer product has unit L2 norm.
    static var factors: (smooth: [Double], derivative: [Double]) {
        let half = halfSize
        let offsets = (-half...half).map(Double.init)
        let gauss = offsets.map { exp(-$0 * $0 / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot()) }
        let derivative = zip(offsets, gauss).map { -$0 * $1 / (sigma * sigma) }
        let norm = (gauss.reduce(0) { $0 + $1 * $1 } * derivative.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return (gauss, derivative.map { $0 / norm })
    }

    /// |grad| per pixel of a `width * height` image.
    static func magnitudes(_ values: [Double], width: Int, height: Int) -> [Double] {
        let (smooth, derivative) = factors
        let alongX = filter(filter(values, width: width, height: height, kernel: derivative, horizontal: true),
                            width: width, height: height, kernel: smooth, horizontal: false)
        let alongY = filter(filter(values, width: width, height: height, kernel: smooth, horizontal: true),
                            width: width, height: height, kernel: derivative, horizontal: false)
        return zip(alongX, alongY).map { ($0 * $0 + $1 * $1).squareRoot() }
    }

    /// One-dimensional convolution along rows (`horizontal`) or columns, borders replicated.
    static func filter(_ values: [Double], width: Int, height: Int, kernel: [Double], horizontal: Bool) -> [Double] {
        let half = kernel.count / 2
        var output = [Double](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for k in 0..<kernel.count {
                    // Convolution: the kernel's tap k meets the pixel at -(k - half).
                    let shift = half - k
                    let u = horizontal ? min(max(x + shift, 0), width - 1) : x
                    let v = horizontal ? y : min(max(y + shift, 0), height - 1)
                    sum += kernel[k] * values[v * width + u]
                }
                output[y * width + x] = sum
            }
        }
        return output
    }
}

/// Connected components of a binary mask.
enum ConnectedComponents {
    /// The largest 4-connected component of `mask` (`width * height`, row-major), as a mask; the
    /// first found among equals; empty if the mask is.
    static func largest(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var labels = [Int32](repeating: 0, count: mask.count)
        var stack: [Int] = []
        var bestLabel: Int32 = 0, bestSize = 0, nextLabel: Int32 = 0
        for start in mask.indices where mask[start] && labels[start] == 0 {
            nextLabel += 1
            labels[start] = nextLabel
            stack.append(start)
            var size = 0
            while let index = stack.popLast() {
                size += 1
                let x = index % width
                func visit(_ neighbour: Int) {
                    if mask[neighbour] && labels[neighbour] == 0 {
                        labels[neighbour] = nextLabel
                        stack.append(neighbour)
                    }
                }
                if x > 0 { visit(index - 1) }
                if x < width - 1 { visit(index + 1) }
                if index >= width { visit(index - width) }
                if index + width < mask.count { visit(index + width) }
            }
            if size > bestSize {
                bestSize = size
                bestLabel = nextLabel
            }
        }
        return labels.map { $0 != 0 && $0 == bestLabel }
    }
}
