/// Where each warning starts, with the data each figure was chosen on: the labelled set
/// (`Tests/MattingTests/Checks/LabelledSet.swift`: the three sample portraits as they are, made small,
/// cropped through the head, blurred, darkened, brightened, backlit, paired, rescaled; and three
/// photos without people; `scripts/check-report` prints every case's figures and the table of
/// catches and false alarms), OFIQ's exposure ranges, and the BSHM deployment guide.
public struct CheckThresholds: Sendable, Equatable {
    /// Below this share of the photo the person mask counts as empty: the mask of a photo without
    /// anyone is 0.000 (rocket.png), of a person at 0.4 scale in a canvas 0.033 to 0.096.
    public var minimumPersonFraction: Float = 0.02
    /// `subject_too_small` below this share of the photo. The clean portraits cover 0.33 (camera.png)
    /// to 0.58; scaled to 0.4 into a canvas of the same size, 0.033 to 0.096. BSHM asks for a third;
    /// 0.15 keeps camera.png's half-length portrait clean and is well above the small ones.
    public var subjectTooSmall: Float = 0.15
    /// `subject_cut_off` when more than this share of the mask's top row is the person (a head cut
    /// through spans the top edge), or when the face's box sticks out of the photo by more than
    /// `faceOutside` of its size.
    public var topEdgeShare: Float = 0.25
    public var faceOutside: Float = 0.1
    /// `blurry` below this sharpness (`Sharpness`: at a fixed face size and contrast). Labelled blurry:
    /// Gaussian blurs of 2% of the face's width or more, which measured 2.2 to 12.3; not blurry: the
    /// clean portraits (339 to 2789) and lighter blurs (49.9 to 889), a small face upscaled (45.6)
    /// and the 200 x 200 portrait (64.6). 25 lies between.
    public var blurry: Float = 25
    /// `underexposed` below this mean face luma, or above `underexposedDarkShare` of face pixels at
    /// luma 25 or less; `overexposed` above `overexposedMean`, or above `overexposedBrightShare` at 247
    /// or more: OFIQ's good range of the mean is 0.2 to 0.8. Clean faces measured 0.40 to 0.65,
    /// darkened (x 0.2) 0.085 to 0.128, brightened 0.913 to 0.946.
    public var underexposedMean: Float = 0.2
    public var underexposedDarkShare: Float = 0.5
    public var overexposedMean: Float = 0.8
    public var overexposedBrightShare: Float = 0.3
    /// `backlit` when the background's mean luma exceeds the face's by more than this (no published
    /// threshold exists). Clean portraits: at most 0.28 (camera.png, a dark face against the sky);
    /// backlit (person at 35% in front of luma 240): 0.66 to 0.77.
    public var backlitDifference: Float = 0.45
    /// BSHM's guide: results are good below 2000 x 2000; larger photos may get soft edges.
    public var maximumPixels = 2000 * 2000
    /// The selfie network's input is 256 pixels a side: below that the networks see upsampled pixels.
    public var minimumSide = 256

    public init() {}
}
