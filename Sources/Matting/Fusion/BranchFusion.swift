/// Fusion of the two branches, after BSHM (Liu et al., "Boosting Semantic Human Matting with Coarse
/// Annotations", CVPR 2020): the semantic branch (selfie segmentation) says which regions are the
/// person; the detail branch (U-2-Net-p) says where their edges run.
///
/// In person mode the detail map is gated by a soft, widened copy of the person mask, so salient
/// objects away from the person (a model rocket, a flag) drop out while hair that reaches past the
/// coarse person mask stays; the person mask's confident core is kept even where the detail branch
/// misses it. In any-subject mode the detail map is used as it is.
public struct BranchFusion: Sendable {
    public enum Subject: String, Sendable, CaseIterable {
        /// A person: the person prior gates the detail branch.
        case person
        /// Whatever is most salient (products, pets, objects), as rembg works.
        case any
    }

    public var subject: Subject
    /// How far the gate reaches past the person mask, as a fraction of the map's longer side.
    public var margin: Float = 0.015

    public init(subject: Subject) {
        self.subject = subject
    }

    /// Fuses maps of the same size, values in [0, 1].
    /// - Parameters:
    ///   - person: person probability (selfie segmentation), resampled to the detail map's grid.
    ///   - detail: salient-object probability (U-2-Net-p, min-max normalised).
    public func fuse(person: Plane, detail: Plane) -> Plane {
        precondition(person.width == detail.width && person.height == detail.height, "maps differ in size")
        guard subject == .person else { return detail }
        let width = detail.width, height = detail.height
        let radius = max(1, Int(margin * Float(max(width, height))))
        // Gate: the person region widened by `radius`, then softened over another `radius`.
        let region = person.values.map { $0 > 0.5 ? Float(1) : 0 }
        let widened = Morphology.dilate(region, width: width, height: height, radius: radius)
        let gate = GuidedFilter.boxMean(widened, width: width, height: height, radius: radius)
        // Core: where the person prior is confident, well inside the region.
        let core = Morphology.erode(person.values.map { $0 > 0.9 ? Float(1) : 0 }, width: width, height: height, radius: radius)
        var fused = detail
        for index in fused.values.indices {
            let gated = detail.values[index] * min(gate[index] * 2, 1)
            fused.values[index] = max(gated, core[index] * person.values[index])
        }
        return fused
    }
}
