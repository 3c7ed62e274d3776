import Testing
@testable import Imaging

@Suite struct ImageConversionTests {
    @Test func flattenCompositesStraightAlpha() {
        let rgba = Image(width: 4, height: 1, channels: 4, pixels: [
            200, 100, 50, 255,  // opaque: unchanged
            200, 100, 50, 0,  // transparent: background
            200, 100, 50, 128,  // half: (c * 128 + bg * 127 + 127) / 255
            0, 0, 0, 51,
        ])
        let flat = rgba.flattened(over: (10, 20, 250))
        #expect(flat.channels == 3)
        let half = { (colour: Int, background: Int) in UInt8((colour * 128 + background * 127 + 127) / 255) }
        #expect(flat.pixels == [200, 100, 50, 10, 20, 250, half(200, 10), half(100, 20), half(50, 250), 8, 16, 200])
    }

    @Test func flattenDefaultsToWhite() {
        let clear = Image(width: 2, height: 1, channels: 4, pixels: [1, 2, 3, 0, 1, 2, 3, 0])
        #expect(clear.flattened().pixels == [255, 255, 255, 255, 255, 255])
    }

    @Test func flattenPassesGreyAndRGB() {
        let grey = Image(width: 2, height: 1, channels: 1, pixels: [7, 9])
        #expect(grey.flattened(over: (0, 0, 0)).pixels == [7, 7, 7, 9, 9, 9])
        let rgb = Fixtures.gradient(width: 3, height: 2, channels: 3)
        #expect(rgb.flattened(over: (0, 0, 0)) == rgb)
    }

    @Test func rgbConversions() {
        let grey = Image(width: 3, height: 1, channels: 1, pixels: [0, 128, 255])
        #expect(grey.rgb() == Image(width: 3, height: 1, channels: 3, pixels: [0, 0, 0, 128, 128, 128, 255, 255, 255]))
        let rgba = Image(width: 2, height: 1, channels: 4, pixels: [1, 2, 3, 0, 4, 5, 6, 255])
        #expect(rgba.rgb().pixels == [1, 2, 3, 4, 5, 6])
        let rgb = Fixtures.gradient(width: 4, height: 4, channels: 3)
        #expect(rgb.rgb() == rgb)
    }
}
