/// The anchor centres of MediaPipe's SSD face detectors, as its `SsdAnchorsCalculator` makes them with
/// `fixed_anchor_size: true` (every anchor 1 wide and 1 high, so only centres matter).
///
/// Layers of equal stride share one feature map: each contributes its anchors per cell to every cell
/// of that map, in order y, x, anchor. A cell's centre is `((x + 0.5) / mapWidth, (y + 0.5) / mapHeight)`
/// (anchor offset 0.5), in the input's unit square. Short range (`face_detection_short_range.pbtxt`):
/// input 128, strides [8, 16, 16, 16], two anchors per layer and cell (aspect ratio 1 and the
/// interpolated scale): 16 x 16 x 2 + 8 x 8 x 6 = 896.
enum FaceAnchors {
    /// The centres, in the order of the model's outputs.
    /// - Parameters:
    ///   - inputSize: the square input's side in pixels.
    ///   - strides: one per layer.
    ///   - anchorsPerLayer: anchors each layer adds to a cell.
    static func centres(inputSize: Int, strides: [Int], anchorsPerLayer: Int) -> [Face.Point] {
        var centres: [Face.Point] = []
        var layer = 0
        while layer < strides.count {
            var next = layer
            while next < strides.count, strides[next] == strides[layer] { next += 1 }
            let anchorsPerCell = (next - layer) * anchorsPerLayer
            let mapSize = (inputSize + strides[layer] - 1) / strides[layer]
            for y in 0..<mapSize {
                for x in 0..<mapSize {
                    let centre = Face.Point(x: (Float(x) + 0.5) / Float(mapSize), y: (Float(y) + 0.5) / Float(mapSize))
                    centres += repeatElement(centre, count: anchorsPerCell)
                }
            }
            layer = next
        }
        return centres
    }

    /// The short-range detector's 896 anchors.
    static let shortRange = centres(inputSize: 128, strides: [8, 16, 16, 16], anchorsPerLayer: 2)
}
