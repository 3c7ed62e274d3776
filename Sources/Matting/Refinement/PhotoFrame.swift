import Imaging

/// A flat frame around a photo: the scanner's or printer's border of a scanned print (the Kodak
/// PhotoCD scans carry one to four lines of flat grey and black), or letterbox bars. It is not the
/// subject, whatever the networks say of it, so the matte is 0 there.
///
/// Found by peeling: from each side in turn, the outermost line of what is left (a row or column,
/// limited to the span not yet peeled) is a frame line when at least `flatShare` of its pixels lie
/// within `tolerance` levels, in every channel, of the line's median colour; peeling goes on while
/// any side gives one. A frame is thin and ends where the picture starts: a side whose flat lines
/// reach `maximumShare` of the photo's extent is flat content (a plain wall, a sky, a studio
/// backdrop), not a frame, and keeps all its lines.
public struct PhotoFrame: Sendable, Equatable {
    /// Lines of frame on each side, in pixels.
    public var top = 0, bottom = 0, left = 0, right = 0

    public init(top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    public static let tolerance = 10
    public static let flatShare = 0.98
    /// Largest frame, as a share of the photo's height (top, bottom) or width (left, right).
    public static let maximumShare = 0.02

    public var isEmpty: Bool { top == 0 && bottom == 0 && left == 0 && right == 0 }

    /// Whether pixel (x, y) of a `width` x `height` photo lies in the frame.
    public func contains(x: Int, y: Int, width: Int, height: Int) -> Bool {
        y < top || y >= height - bottom || x < left || x >= width - right
    }

    /// The frame of `photo` (grey, RGB or RGBA; alpha ignored).
    public static func find(in photo: Image) -> PhotoFrame {
        let width = photo.width, height = photo.height
        // A side reaching its limit is flat content; one line fewer than the limit may be peeled.
        let rowLimit = max(1, Int(maximumShare * Double(height))), columnLimit = max(1, Int(maximumShare * Double(width)))
        var frame = PhotoFrame()
        var peeled = true
        while peeled {
            peeled = false
            if frame.top < rowLimit, isFlat(photo, row: frame.top, from: frame.left, to: width - frame.right) {
                frame.top += 1
                peeled = true
            }
            if frame.bottom < rowLimit, isFlat(photo, row: height - 1 - frame.bottom, from: frame.left, to: width - frame.right) {
                frame.bottom += 1
                peeled = true
            }
            if frame.left < columnLimit, isFlat(photo, column: frame.left, from: frame.top, to: height - frame.bottom) {
                frame.left += 1
                peeled = true
            }
            if frame.right < columnLimit, isFlat(photo, column: width - 1 - frame.right, from: frame.top, to: height - frame.bottom) {
                frame.right += 1
                peeled = true
            }
            // Peeled through: nothing but flat lines, no picture inside a frame.
            if frame.top + frame.bottom >= height || frame.left + frame.right >= width { return PhotoFrame() }
        }
        if frame.top >= rowLimit { frame.top = 0 }
        if frame.bottom >= rowLimit { frame.bottom = 0 }
        if frame.left >= columnLimit { frame.left = 0 }
        if frame.right >= columnLimit { frame.right = 0 }
        return frame
    }

    /// Whether row `y` is flat from column `start` up to `end` (false when that span is empty, as
    /// when the sides peeled so far meet).
    static func isFlat(_ photo: Image, row y: Int, from start: Int, to end: Int) -> Bool {
        guard start < end, y >= 0, y < photo.height else { return false }
        return isFlat(photo, offsets: (start..<end).map { (y * photo.width + $0) * photo.channels })
    }

    static func isFlat(_ photo: Image, column x: Int, from start: Int, to end: Int) -> Bool {
        guard start < end, x >= 0, x < photo.width else { return false }
        return isFlat(photo, offsets: (start..<end).map { ($0 * photo.width + x) * photo.channels })
    }

    /// Whether at least `flatShare` of the pixels at `offsets` lie within `tolerance` of their
    /// per-channel median.
    static func isFlat(_ photo: Image, offsets: [Int]) -> Bool {
        guard !offsets.isEmpty else { return false }
        let channels = min(photo.channels, 3)
        var medians = [Int](repeating: 0, count: channels)
        for channel in 0..<channels {
            var histogram = [Int](repeating: 0, count: 256)
            for offset in offsets { histogram[Int(photo.pixels[offset + channel])] += 1 }
            var seen = 0, level = 0
            while seen + histogram[level] <= offsets.count / 2 { seen += histogram[level]; level += 1 }
            medians[channel] = level
        }
        var close = 0
        for offset in offsets {
            var within = true
            for channel in 0..<channels where abs(Int(photo.pixels[offset + channel]) - medians[channel]) > tolerance {
                within = false
            }
            if within { close += 1 }
        }
        return Double(close) >= flatShare * Double(offsets.count)
    }
}

extension PhotoFrame {
    /// Sets the outputs of the frame's pixels: alpha 0, the photo's colours in the cut-out (fully
    /// transparent) and in the background estimate.
    func clear(alpha: inout Image, cutout: inout Image, background: inout Image?, photo: Image) {
        guard !isEmpty else { return }
        let width = photo.width, height = photo.height, channels = photo.channels
        for y in 0..<height {
            for x in 0..<width where contains(x: x, y: y, width: width, height: height) {
                let index = y * width + x
                alpha.pixels[index] = 0
                for channel in 0..<3 {
                    let value = photo.pixels[index * channels + (channels >= 3 ? channel : 0)]
                    cutout.pixels[index * 4 + channel] = value
                    background?.pixels[index * 3 + channel] = value
                }
                cutout.pixels[index * 4 + 3] = 0
            }
        }
    }
}
