import Testing
@testable import Matting

/// Fusion of the person prior and the detail branch in person mode.
@Suite struct BranchFusionTests {
    /// A 40x40 grid: the person prior confident on the left half, unsure (0.4) over a block on the
    /// right; the detail branch sure of both.
    static let side = 40
    static let person = Plane(width: side, height: side, values: (0..<side * side).map { index in
        index % side < 16 ? 0.95 : (index % side >= 28 && index / side >= 20 ? 0.4 : 0)
    })
    static let detail = Plane(width: side, height: side, values: (0..<side * side).map { index in
        index % side < 16 || (index % side >= 28 && index / side >= 20) ? 1 : 0
    })

    @Test func unsurePersonPriorShutsTheDetailOut() {
        let fused = BranchFusion(subject: .person).fuse(person: Self.person, detail: Self.detail)
        #expect(fused[8, 30] > 0.9)
        #expect(fused[34, 30] == 0)
    }

    @Test func hairZoneLetsTheDetailThrough() {
        let zone = HairZone(left: 0.6, top: 0.45, right: 1, bottom: 1)
        let fused = BranchFusion(subject: .person).fuse(person: Self.person, detail: Self.detail, hairZones: [zone])
        #expect(fused[34, 30] == 1)
        #expect(fused[8, 30] > 0.9)
    }

    @Test func hairZoneSurroundsTheFace() {
        let zone = HairZone(face: Face.Box(x: 100, y: 200, width: 80, height: 100), width: 400, height: 500)
        #expect(zone == HairZone(left: 60.0 / 400, top: 150.0 / 500, right: 220.0 / 400, bottom: 250.0 / 500))
        let mask = HairZone.mask([zone], width: 40, height: 50)
        #expect(mask[15 * 40 + 6] && mask[24 * 40 + 21])
        #expect(!mask[14 * 40 + 10] && !mask[25 * 40 + 10] && !mask[20 * 40 + 4] && !mask[20 * 40 + 23])
    }

    @Test func anySubjectKeepsTheDetail() {
        #expect(BranchFusion(subject: .any).fuse(person: Self.person, detail: Self.detail) == Self.detail)
    }
}
