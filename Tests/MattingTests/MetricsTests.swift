import Foundation
import Testing
@testable import Matting

@Suite struct MetricsTests {
    /// Known pixels are forced to the trimap's values and excluded from the sums.
    @Test func sadAndMSEWithTrimap() {
        let prediction = Plane(width: 2, height: 2, values: [0.2, 0.5, 0.9, 0.0])
        let truth = Plane(width: 2, height: 2, values: [0.0, 0.5, 1.0, 0.3])
        let trimap = Trimap(width: 2, height: 2, values: [0, 128, 128, 255])
        let errors = MatteErrors.measure(prediction: prediction, truth: truth, trimap: trimap)
        #expect(errors.pixelCount == 2)
        #expect(abs(errors.sad - 0.1 / 1000) < 1e-9)
        #expect(abs(errors.mse - 0.01 / 2) < 1e-8)
    }

    @Test func sadAndMSEOverWholeImage() {
        let prediction = Plane(width: 2, height: 2, values: [0.2, 0.5, 0.9, 0.0])
        let truth = Plane(width: 2, height: 2, values: [0.0, 0.5, 1.0, 0.3])
        let errors = MatteErrors.measure(prediction: prediction, truth: truth)
        #expect(errors.pixelCount == 4)
        #expect(abs(errors.sad - 0.6 / 1000) < 1e-9)
        #expect(abs(errors.mse - (0.04 + 0.01 + 0.09) / 4) < 1e-8)
    }

    @Test func perfectPredictionHasNoError() {
        var random = TestRandom(seed: 4)
        let truth = Plane(width: 20, height: 15, values: (0..<300).map { _ in Float(random.unit()) })
        let errors = MatteErrors.measure(prediction: truth, truth: truth)
        #expect(errors.sad == 0 && errors.mse == 0 && errors.gradient == 0 && errors.connectivity == 0)
    }

    /// The kernel of the benchmark's gaussgradient for sigma 1.4: 9x9, unit L2 norm.
    @Test func gradientKernel() {
        #expect(GaussianGradient.halfSize == 4)
        let (smooth, derivative) = GaussianGradient.factors
        #expect(smooth.count == 9 && derivative.count == 9)
        var norm = 0.0
        for a in smooth { for b in derivative { norm += a * a * b * b } }
        #expect(abs(norm - 1) < 1e-12)
        // Odd derivative, positive towards negative offsets (d/dx of a Gaussian).
        #expect(abs(derivative[4]) < 1e-15 && derivative[3] > 0 && abs(derivative[3] + derivative[5]) < 1e-15)
    }

    /// Gradient error against a direct 2D convolution with the 9x9 kernel, borders replicated.
    @Test func gradientErrorMatchesDirectConvolution() {
        let width = 13, height = 11
        var random = TestRandom(seed: 8)
        let prediction = Plane(width: width, height: height, values: (0..<width * height).map { _ in Float(random.unit()) })
        let truth = Plane(width: width, height: height, values: (0..<width * height).map { index in
            index % width > 6 ? 1 : 0.2
        })
        let region = (0..<width * height).map { $0 % 3 != 0 }
        let (smooth, derivative) = GaussianGradient.factors
        func magnitudes(_ plane: Plane) -> [Double] {
            let low = Double(plane.values.min()!), high = Double(plane.values.max()!)
            let values = plane.values.map { (Double($0) - low) / (high - low) }
            return (0..<width * height).map { index in
                let x = index % width, y = index / width
                var gx = 0.0, gy = 0.0
                for i in 0..<9 {
                    for j in 0..<9 {
                        // Convolution: kernel (i, j) meets pixel (x - (j - 4), y - (i - 4)).
                        let u = min(max(x - (j - 4), 0), width - 1), v = min(max(y - (i - 4), 0), height - 1)
                        gx += smooth[i] * derivative[j] * values[v * width + u]
                        gy += derivative[i] * smooth[j] * values[v * width + u]
                    }
                }
                return (gx * gx + gy * gy).squareRoot()
            }
        }
        let expectedPrediction = magnitudes(prediction), expectedTruth = magnitudes(truth)
        var expected = 0.0
        for index in region.indices where region[index] {
            expected += pow(expectedTruth[index] - expectedPrediction[index], 2)
        }
        let measured = MatteErrors.gradientError(prediction, truth, region: region)
        #expect(abs(measured - expected / 1000) < 1e-12)
        #expect(measured > 0)
    }

    /// A hole through an all-ones truth: the hole and the cut-off right part lose connectivity.
    @Test func connectivityOfDisconnectedPixel() {
        let truth = Plane(width: 3, height: 1, values: [1, 1, 1])
        let prediction = Plane(width: 3, height: 1, values: [1, 0, 1])
        // Levels: pixel 0 stays in the largest component (l = 1); pixels 1 and 2 leave it at 0.1
        // (l = 0). phi truth = [1, 0, 0], phi prediction = [1, 1, 0].
        let errors = MatteErrors.measure(prediction: prediction, truth: truth)
        #expect(abs(errors.connectivity - 1.0 / 1000) < 1e-12)
    }

    @Test func connectivityWithFractionalAlpha() {
        let truth = Plane(width: 3, height: 1, values: [1, 0.5, 1])
        let prediction = Plane(width: 3, height: 1, values: [1, 0.3, 1])
        // Pixels 1 and 2 leave the component at 0.4 (l = 0.3): d truth = [0, 0.2, 0.7],
        // d prediction = [0, 0, 0.7], phi truth = [1, 0.8, 0.3], phi prediction = [1, 1, 0.3].
        let errors = MatteErrors.measure(prediction: prediction, truth: truth)
        #expect(abs(errors.connectivity - 0.2 / 1000) < 1e-7)
    }

    @Test func largestComponentIsFourConnected() {
        // Diagonal neighbours do not connect.
        let mask = [true, false, false,
                    false, true, true,
                    false, true, false]
        #expect(ConnectedComponents.largest(mask, width: 3, height: 3)
                == [false, false, false, false, true, true, false, true, false])
        #expect(ConnectedComponents.largest([false, false], width: 2, height: 1) == [false, false])
    }
}
