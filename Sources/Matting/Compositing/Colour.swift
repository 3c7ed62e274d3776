/// An opaque 8-bit sRGB colour, as a user names it for a backdrop.
public struct Colour: Sendable, Equatable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Names understood by `init?(_:)`, with the values CSS gives them (CSS Color Module Level 4, 6.1).
    public static let names: [(name: String, colour: Colour)] = [
        ("white", Colour(red: 255, green: 255, blue: 255)),
        ("black", Colour(red: 0, green: 0, blue: 0)),
        ("grey", Colour(red: 128, green: 128, blue: 128)),
        ("gray", Colour(red: 128, green: 128, blue: 128)),
        ("silver", Colour(red: 192, green: 192, blue: 192)),
        ("red", Colour(red: 255, green: 0, blue: 0)),
        ("green", Colour(red: 0, green: 128, blue: 0)),
        ("lime", Colour(red: 0, green: 255, blue: 0)),
        ("blue", Colour(red: 0, green: 0, blue: 255)),
        ("navy", Colour(red: 0, green: 0, blue: 128)),
        ("yellow", Colour(red: 255, green: 255, blue: 0)),
        ("orange", Colour(red: 255, green: 165, blue: 0)),
        ("cyan", Colour(red: 0, green: 255, blue: 255)),
        ("teal", Colour(red: 0, green: 128, blue: 128)),
        ("magenta", Colour(red: 255, green: 0, blue: 255)),
        ("purple", Colour(red: 128, green: 0, blue: 128)),
        ("pink", Colour(red: 255, green: 192, blue: 203)),
        ("brown", Colour(red: 165, green: 42, blue: 42)),
    ]

    /// `#rrggbb` (hex digits, any case) or one of `names` (any case); nil for anything else.
    public init?(_ text: String) {
        if text.hasPrefix("#") {
            let hex = text.dropFirst()
            guard hex.count == 6, hex.allSatisfy(\.isHexDigit), let value = UInt32(hex, radix: 16) else { return nil }
            self.init(red: UInt8(value >> 16), green: UInt8(value >> 8 & 0xFF), blue: UInt8(value & 0xFF))
        } else if let named = Self.names.first(where: { $0.name == text.lowercased() }) {
            self = named.colour
        } else {
            return nil
        }
    }

    /// The backdrop of this colour.
    public var backdrop: Backdrop { .colour(red: red, green: green, blue: blue) }
}
