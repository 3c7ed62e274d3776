import Testing
@testable import Matting

@Suite struct TrimapTests {
    /// A sharp disc: the band straddles the circle, `bandWidth` wide.
    @Test(arguments: [4, 10, 21])
    func bandAroundDisc(bandWidth: Int) {
        let size = 120, radius = 40.0, centre = 60.0
        func distance(_ x: Int, _ y: Int) -> Double {
            ((Double(x) - centre) * (Double(x) - centre) + (Double(y) - centre) * (Double(y) - centre)).squareRoot()
        }
        var probability = Plane(width: size, height: size)
        for y in 0..<size { for x in 0..<size where distance(x, y) <= radius { probability[x, y] = 1 } }
        let trimap = Trimap.make(probability: probability, bandWidth: bandWidth)
        let half = Double(bandWidth) / 2
        for y in 0..<size {
            for x in 0..<size {
                let label = trimap.values[y * size + x]
                let fromEdge = distance(x, y) - radius
                // Pixel grids blur the circle by about a pixel either way.
                if fromEdge < -half - 1.5 { #expect(label == Trimap.foreground, "(\(x), \(y))") }
                if fromEdge > half + 1.5 { #expect(label == Trimap.background, "(\(x), \(y))") }
                if abs(fromEdge) < half - 1.5 { #expect(label == Trimap.unknown, "(\(x), \(y))") }
            }
        }
        // Along a row through the centre the band is bandWidth (+-2) pixels wide on each side.
        let row = Int(centre)
        let unknownOnRow = (0..<size).filter { trimap.values[row * size + $0] == Trimap.unknown }.count
        #expect(abs(unknownOnRow - 2 * bandWidth) <= 4)
    }

    /// Probabilities between the thresholds are unknown however thin the band.
    @Test func uncertainPixelsAreUnknown() {
        var probability = Plane(width: 30, height: 10)
        for y in 0..<10 { for x in 0..<30 { probability[x, y] = Float(x) / 29 } }
        let trimap = Trimap.make(probability: probability, bandWidth: 0, foregroundThreshold: 0.8,
                                 backgroundThreshold: 0.2)
        for y in 0..<10 {
            for x in 0..<30 {
                let p = probability[x, y]
                let expected = p >= 0.8 ? Trimap.foreground : p <= 0.2 ? Trimap.background : Trimap.unknown
                #expect(trimap.values[y * 30 + x] == expected)
            }
        }
    }

    /// The frame is no boundary: a subject cut by the image border stays known there.
    @Test func imageBorderIsNotABoundary() {
        let all = Trimap.make(probability: Plane(width: 20, height: 15, filling: 1), bandWidth: 8)
        #expect(all.values.allSatisfy { $0 == Trimap.foreground })
        var lower = Plane(width: 20, height: 20)
        for y in 10..<20 { for x in 0..<20 { lower[x, y] = 1 } }
        let trimap = Trimap.make(probability: lower, bandWidth: 4)
        #expect(trimap.values[19 * 20 + 0] == Trimap.foreground)
        #expect(trimap.values[19 * 20 + 10] == Trimap.foreground)
        #expect(trimap.values[0] == Trimap.background)
        #expect(trimap.values[10 * 20 + 5] == Trimap.unknown)
    }

    @Test func suggestedBandWidthScalesWithSubject() {
        var small = Plane(width: 200, height: 200), large = Plane(width: 2000, height: 2000)
        for y in 50..<150 { for x in 50..<150 { small[x, y] = 1 } }
        for y in 500..<1500 { for x in 500..<1500 { large[x, y] = 1 } }
        #expect(Trimap.suggestedBandWidth(probability: small) == 4)
        #expect(Trimap.suggestedBandWidth(probability: large) == 40)
        #expect(Trimap.suggestedBandWidth(probability: Plane(width: 5, height: 5)) == 3)
    }

    @Test func planeConversions() {
        let plane = Plane(width: 4, height: 1, values: [0, 0.001, 0.5, 1])
        let trimap = Trimap(plane: plane)
        #expect(trimap.values == [0, 0, 128, 255])
        #expect(trimap.unknownCount == 1)
        #expect(trimap.plane().values == [0, 0, 0.5, 1])
        #expect(Trimap.isUnknown(1) && Trimap.isUnknown(254) && !Trimap.isUnknown(0) && !Trimap.isUnknown(255))
    }

    /// The exact distance transform matches brute force.
    @Test(arguments: [(1, 1), (9, 4), (17, 23), (40, 31)])
    func distanceTransformMatchesBruteForce(width: Int, height: Int) {
        var random = TestRandom(seed: UInt64(width * 100 + height))
        let targets = (0..<width * height).map { _ in random.unit() < 0.05 }
        let distances = DistanceTransform.squaredDistances(to: targets, width: width, height: height)
        let points = targets.indices.filter { targets[$0] }
        for index in 0..<width * height {
            let x = index % width, y = index / width
            let expected = points.map { point -> Double in
                let dx = Double(point % width - x), dy = Double(point / width - y)
                return dx * dx + dy * dy
            }.min() ?? .infinity
            #expect(distances[index] == expected)
        }
    }
}
