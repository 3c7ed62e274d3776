/// Which IP addresses a server-side fetch may connect to: only public unicast ones, so that a `url`
/// option cannot reach the server's own loopback, the local network, or cloud metadata services.
///
/// Refused ranges (IANA special-purpose registries, RFC 6890 and its updates):
/// - IPv4: 0.0.0.0/8 unspecified ("this network"), 10/8, 172.16/12 and 192.168/16 private (RFC 1918),
///   100.64/10 shared address space (RFC 6598), 127/8 loopback, 169.254/16 link-local, 192.0.0/24 protocol
///   assignments, 192.0.2/24, 198.51.100/24 and 203.0.113/24 documentation, 198.18/15 benchmarking,
///   224/4 multicast, 240/4 reserved and 255.255.255.255 broadcast.
/// - IPv6: `::` unspecified, `::1` loopback, fc00::/7 unique-local (private), fe80::/10 link-local,
///   fec0::/10 site-local (deprecated), ff00::/8 multicast, 2001:db8::/32 documentation; and addresses
///   that embed an IPv4 address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`,
///   6to4 `2002::/16`) are judged by that IPv4 address.
public enum AddressPolicy {
    /// Why an address is refused, or nil when it is a public unicast address.
    public static func refusal(ipv4 bytes: [UInt8]) -> String? {
        guard bytes.count == 4 else { return "not an IPv4 address" }
        let (a, b, c) = (bytes[0], bytes[1], bytes[2])
        switch a {
        case 0: return "unspecified"
        case 10: return "private"
        case 100 where (64...127).contains(b): return "shared (carrier-grade NAT)"
        case 127: return "loopback"
        case 169 where b == 254: return "link-local"
        case 172 where (16...31).contains(b): return "private"
        case 192 where b == 168: return "private"
        case 192 where b == 0 && c == 0: return "reserved (protocol assignments)"
        case 192 where b == 0 && c == 2, 198 where b == 51 && c == 100, 203 where b == 0 && c == 113:
            return "reserved (documentation)"
        case 198 where b == 18 || b == 19: return "reserved (benchmarking)"
        case 224...239: return "multicast"
        case 240...255: return bytes == [255, 255, 255, 255] ? "broadcast" : "reserved"
        default: return nil
        }
    }

    /// Why an address is refused, or nil when it is a public unicast address.
    public static func refusal(ipv6 bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return "not an IPv6 address" }
        let prefix96 = bytes[0..<12]
        if prefix96.allSatisfy({ $0 == 0 }) {
            let last = Array(bytes[12..<16])
            if last == [0, 0, 0, 0] { return "unspecified" }
            if last == [0, 0, 0, 1] { return "loopback" }
            return refusal(ipv4: last)  // IPv4-compatible
        }
        if prefix96.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) {
            return refusal(ipv4: Array(bytes[12..<16]))  // IPv4-mapped
        }
        if prefix96.elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
            return refusal(ipv4: Array(bytes[12..<16]))  // NAT64
        }
        if bytes[0] == 0x20 && bytes[1] == 0x02 {
            return refusal(ipv4: Array(bytes[2..<6]))  // 6to4
        }
        if bytes[0] & 0xFE == 0xFC { return "private (unique-local)" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "link-local" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return "site-local" }
        if bytes[0] == 0xFF { return "multicast" }
        if bytes[0...3].elementsEqual([0x20, 0x01, 0x0D, 0xB8]) { return "reserved (documentation)" }
        return nil
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
