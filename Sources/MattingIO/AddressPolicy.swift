/// Which IP addresses a server-side fetch may connect to: global unicast ones only, so that a `url`
/// option (or a callback) cannot reach the server's own loopback, the local network, or cloud metadata
/// services.
///
/// An allowlist, not a list of ranges to refuse: an address passes only if it lies in the global unicast
/// space (IPv4 1.0.0.0 to 223.255.255.255; IPv6 2000::/3, RFC 4291 2.4) and in none of the ranges of the
/// IANA special-purpose address registries (RFC 6890 and its updates) within that space, whatever the
/// registry says of their global reachability: anycast relays and protocol assignments are no place to
/// fetch a photo from. Everything else (new IPv6 assignments outside 2000::/3, the IPv4-translated
/// `::ffff:0:0:0/96`, the local-use NAT64 `64:ff9b:1::/48`, discard-only `100::/64`, SRv6 `5f00::/16`)
/// is refused by default. Two forms that carry an IPv4 address to a global destination are judged by
/// that address: IPv4-mapped `::ffff:0:0/96` (a dual-stack socket's view of an IPv4 peer) and the
/// well-known NAT64 prefix `64:ff9b::/96` (RFC 6052).
public enum AddressPolicy {
    /// A range of the special-purpose registries: the first bytes of its prefix, its length in bits,
    /// and what it is.
    public struct Range: Sendable {
        public var prefix: [UInt8]
        public var length: Int
        public var name: String

        public func contains(_ address: [UInt8]) -> Bool {
            guard address.count * 8 >= length else { return false }
            for bit in stride(from: 0, to: length, by: 8) {
                let index = bit / 8
                let bits = min(8, length - bit)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                let expected = index < prefix.count ? prefix[index] : 0
                if address[index] & mask != expected & mask { return false }
            }
            return true
        }
    }

    /// IANA IPv4 Special-Purpose Address Registry ranges inside 1.0.0.0 to 223.255.255.255.
    public static let specialIPv4: [Range] = [
        Range(prefix: [10], length: 8, name: "private"),
        Range(prefix: [100, 64], length: 10, name: "shared (carrier-grade NAT)"),
        Range(prefix: [127], length: 8, name: "loopback"),
        Range(prefix: [169, 254], length: 16, name: "link-local"),
        Range(prefix: [172, 16], length: 12, name: "private"),
        Range(prefix: [192, 0, 0], length: 24, name: "reserved (protocol assignments)"),
        Range(prefix: [192, 0, 2], length: 24, name: "reserved (documentation)"),
        Range(prefix: [192, 31, 196], length: 24, name: "reserved (AS112)"),
        Range(prefix: [192, 52, 193], length: 24, name: "reserved (AMT)"),
        Range(prefix: [192, 88, 99], length: 24, name: "reserved (6to4 relay anycast)"),
        Range(prefix: [192, 168], length: 16, name: "private"),
        Range(prefix: [192, 175, 48], length: 24, name: "reserved (AS112 direct delegation)"),
        Range(prefix: [198, 18], length: 15, name: "reserved (benchmarking)"),
        Range(prefix: [198, 51, 100], length: 24, name: "reserved (documentation)"),
        Range(prefix: [203, 0, 113], length: 24, name: "reserved (documentation)"),
    ]

    /// IANA IPv6 Special-Purpose Address Registry ranges inside 2000::/3.
    public static let specialIPv6: [Range] = [
        Range(prefix: [0x20, 0x01, 0x00], length: 23, name: "reserved (IETF protocol assignments)"),
        Range(prefix: [0x20, 0x01, 0x0D, 0xB8], length: 32, name: "reserved (documentation)"),
        Range(prefix: [0x20, 0x02], length: 16, name: "6to4"),
        Range(prefix: [0x26, 0x20, 0x00, 0x4F, 0x80, 0x00], length: 48, name: "reserved (AS112 direct delegation)"),
        Range(prefix: [0x3F, 0xFF], length: 20, name: "reserved (documentation)"),
    ]

    /// Why an address is refused, or nil when it may be fetched from.
    public static func refusal(ipv4 bytes: [UInt8]) -> String? {
        guard bytes.count == 4 else { return "not an IPv4 address" }
        switch bytes[0] {
        case 0: return "unspecified (this network)"
        case 224...239: return "multicast"
        case 240...255: return bytes == [255, 255, 255, 255] ? "broadcast" : "reserved"
        default: return specialIPv4.first { $0.contains(bytes) }?.name
        }
    }

    /// Why an address is refused, or nil when it may be fetched from.
    public static func refusal(ipv6 bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return "not an IPv6 address" }
        if bytes[0..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) {
            return refusal(ipv4: Array(bytes[12..<16]))  // IPv4-mapped
        }
        if bytes[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
            return refusal(ipv4: Array(bytes[12..<16]))  // NAT64, well-known prefix
        }
        guard bytes[0] & 0xE0 == 0x20 else {
            if bytes.allSatisfy({ $0 == 0 }) { return "unspecified" }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "loopback" }
            if bytes[0] == 0xFF { return "multicast" }
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "link-local" }
            if bytes[0] & 0xFE == 0xFC { return "private (unique-local)" }
            return "not global unicast"
        }
        return specialIPv6.first { $0.contains(bytes) }?.name
    }

    /// Dotted-quad or colon-hex text of an address, for messages.
    public static func text(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        var index = 0
        while index + 1 < bytes.count {
            groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
            index += 2
        }
        return groups.joined(separator: ":")
    }
}
