/// Fusion of the two branches, after BSHM (Liu et al., "Boosting Semantic Human Matting with Coarse
/// Annotations", CVPR 2020): the semantic branch (selfie segmentation) says which regions are the
/// person; the detail branch (U-2-Net-p) says where their edges run.
///
/// In person mode the detail map is gated by a soft, widened copy of the confident person region
/// (probability above `gateThreshold`), so salient objects away from the person (a model rocket, a
/// flag, a drape beside the neck) drop out while edges that reach a little past the coarse person
/// mask stay; around the head (`HairZone`, from the face detector) the gate is open, so hair the
/// person prior is unsure of stays. The person mask's confident core is kept even where the detail
/// branch misses it. In any-subject mode the detail map is used as it is.
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
    /// Person probability above which a cell belongs to the region the gate widens. The selfie
    /// network gives 0.25 to 0.75 over things beside a person that look like skin or cloth; on the
    /// portraits of ../shared/data/portraits (mean SAD / 1000 of best mode, with hair zones) 0.5
    /// gives 11.8, 0.6 8.3, 0.65 7.6, 0.7 6.9 and 0.75 7.1, but above 0.65 a thin arm whose
    /// probability is lower gets worse by more than 5%.
    public var gateThreshold: Float = 0.65

    public init(subject: Subject) {
        self.subject = subject
    }

    /// Fuses maps of the same size, values in [0, 1].
    /// - Parameters:
    ///   - person: person probability (selfie segmentation), resampled to the detail map's grid.
    ///   - detail: salient-object probability (U-2-Net-p, min-max normalised).
    ///   - hairZones: where hair is likely (person mode only), the gate open there.
    public func fuse(person: Plane, detail: Plane, hairZones: [HairZone] = []) -> Plane {
        precondition(person.width == detail.width && person.height == detail.height, "maps differ in size")
        guard subject == .person else { return detail }
        let width = detail.width, height = detail.height
        let radius = max(1, Int(margin * Float(max(width, height))))
        // Gate: the person region widened by `radius`, then softened over another `radius`.
        let region = person.values.map { $0 > gateThreshold ? Float(1) : 0 }
        let widened = Morphology.dilate(region, width: width, height: height, radius: radius)
        let gate = GuidedFilter.boxMean(widened, width: width, height: height, radius: radius)
        // Core: where the person prior is confident, well inside the region.
        let core = Morphology.erode(person.values.map { $0 > 0.9 ? Float(1) : 0 }, width: width, height: height, radius: radius)
        let open = HairZone.mask(hairZones, width: width, height: height)
        var fused = detail
        for index in fused.values.indices {
            let gated = open[index] ? detail.values[index] : detail.values[index] * min(gate[index] * 2, 1)
            fused.values[index] = max(gated, core[index] * person.values[index])
        }
        return fused
    }
}
