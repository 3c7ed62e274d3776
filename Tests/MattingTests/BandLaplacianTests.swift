import Testing
import Imaging
@testable import Matting

/// The band's system against the whole-grid one (`MattingLaplacian.build` on the same trimap), and the
/// runs it is kept on.
@Suite struct BandLaplacianTests {
    /// A random band (thin strokes and single pixels, some on the photo's edges) and random known labels.
    static func randomTrimap(width: Int, height: Int, seed: UInt64) -> Trimap {
        var random = TestRandom(seed: seed)
        var values = (0..<width * height).map { _ in random.next() % 2 == 0 ? Trimap.background : Trimap.foreground }
        for _ in 0..<(width * height / 6) {
            let x = Int(random.next() % UInt64(width)), y = Int(random.next() % UInt64(height))
            let length = Int(random.next() % 6)
            for u in x..<min(width, x + length + 1) { values[y * width + u] = Trimap.unknown }
        }
        return Trimap(width: width, height: height, values: values)
    }

    @Test(arguments: [(3, 3), (7, 5), (17, 12), (40, 23)])
    func matchesTheWholeGridSystem(size: (Int, Int)) {
        let (width, height) = size
        for seed in UInt64(1)...3 {
            let photo = testPhoto(width: width, height: height, seed: seed)
            let trimap = Self.randomTrimap(width: width, height: height, seed: seed)
            let unknown = PixelRuns(mask: trimap.values.map { Trimap.isUnknown($0) ? 1 : 0 }, width: width, height: height)
            let band = BandLaplacian(photo: photo, unknown: unknown,
                                     foreground: { trimap.values[$1 * width + $0] == Trimap.foreground },
                                     epsilon: 1e-5, threads: 2)
            let whole = MattingLaplacian.build(colours: MattingLaplacian.colours(of: photo), trimap: trimap, epsilon: 1e-5)
            #expect(band.count == whole.matrix.count)
            #expect(band.rightHandSide == whole.rightHandSide)
            #expect(Array(band.coefficients[0..<band.count * StencilMatrix.taps])
                == Array(whole.matrix.coefficients[0..<band.count * StencilMatrix.taps]))
            var random = TestRandom(seed: seed)
            let x = (0..<band.count).map { _ in Float(random.unit()) - 0.5 }
            var fast = [Float](repeating: 0, count: band.count)
            var scratch = band.makeScratch()
            x.withUnsafeBufferPointer { x in
                fast.withUnsafeMutableBufferPointer { fast in
                    scratch.withUnsafeMutableBufferPointer { band.multiply(x, into: fast, scratch: $0, threads: 2) }
                }
            }
            let reference = whole.matrix.multiplyReference(x)
            #expect(band.multiplyReference(x) == reference)
            for (a, b) in zip(fast, reference) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
        }
    }

    @Test func runsDilateUniteAndLocatePixels() {
        let width = 12, height = 7
        var random = TestRandom(seed: 9)
        let first = (0..<width * height).map { _ in UInt8(random.next() % 5 == 0 ? 1 : 0) }
        let second = (0..<width * height).map { _ in UInt8(random.next() % 7 == 0 ? 1 : 0) }
        let a = PixelRuns(mask: first, width: width, height: height)
        let b = PixelRuns(mask: second, width: width, height: height)
        // Positions: raster order, one per pixel.
        var position = 0
        for y in -3..<height + 3 {
            for x in -3..<width + 3 {
                let inside = (0..<width).contains(x) && (0..<height).contains(y) && first[y * width + x] != 0
                #expect(a.position(x: x, y: y) == (inside ? position : nil), "(\(x), \(y))")
                if inside { position += 1 }
            }
        }
        #expect(a.count == position)
        // Dilation by 2, within the grid grown by 1 on each side, against the plain definition.
        let dilated = a.dilated(by: 2, columns: -1..<width + 1, rows: -1..<height + 1)
        let union = a.union(b)
        for y in -3..<height + 3 {
            for x in -3..<width + 3 {
                var near = false
                for v in y - 2...y + 2 { for u in x - 2...x + 2 where a.position(x: u, y: v) != nil { near = true } }
                near = near && (-1..<width + 1).contains(x) && (-1..<height + 1).contains(y)
                #expect((dilated.position(x: x, y: y) != nil) == near, "(\(x), \(y))")
                let either = a.position(x: x, y: y) != nil || b.position(x: x, y: y) != nil
                #expect((union.position(x: x, y: y) != nil) == either, "(\(x), \(y))")
            }
        }
    }
}
