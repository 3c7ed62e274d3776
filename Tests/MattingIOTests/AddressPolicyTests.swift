import Foundation
import Matting
import MattingIO
import TestSupport
import Testing

/// The address policy against the IANA special-purpose address registries (IPv4 and IPv6, as of 2025)
/// and the multicast ranges: the first and last address of every range is refused, and global unicast
/// addresses just outside them pass.
@Suite struct AddressPolicyTests {
    /// Every IPv4 special-purpose range, and multicast.
    static let ipv4Ranges = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/32",
        "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
        "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    ]

    /// Every IPv6 special-purpose range but the two that embed an IPv4 address (tested below), and
    /// the other ranges outside global unicast.
    static let ipv6Ranges = [
        "::/128", "::1/128", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/23",
        "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48", "2001:3::/32",
        "2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28", "2001:db8::/32", "2002::/16",
        "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
        "::/96", "4000::/3", "8000::/1",
    ]

    /// The first and last address of a CIDR range.
    static func ends(of range: String) -> (first: [UInt8], last: [UInt8]) {
        let halves = range.split(separator: "/")
        let length = Int(halves[1])!
        var first = bytes(String(halves[0]))
        var last = first
        for bit in length..<(first.count * 8) {
            first[bit / 8] &= ~(0x80 >> UInt8(bit % 8))
            last[bit / 8] |= 0x80 >> UInt8(bit % 8)
        }
        return (first, last)
    }

    static func bytes(_ text: String) -> [UInt8] {
        if text.contains(":") {
            var address = in6_addr()
            precondition(inet_pton(AF_INET6, text, &address) == 1, text)
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        precondition(inet_pton(AF_INET, text, &address) == 1, text)
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func refusal(_ address: [UInt8]) -> String? {
        address.count == 4 ? AddressPolicy.refusal(ipv4: address) : AddressPolicy.refusal(ipv6: address)
    }

    @Test(arguments: ipv4Ranges + ipv6Ranges)
    func specialRangeIsRefusedEndToEnd(_ range: String) {
        let (first, last) = Self.ends(of: range)
        #expect(Self.refusal(first) != nil, "\(range): first address \(AddressPolicy.text(first))")
        #expect(Self.refusal(last) != nil, "\(range): last address \(AddressPolicy.text(last))")
    }

    @Test func globalUnicastPasses() {
        for text in ["1.0.0.0", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
                     "126.255.255.255", "128.0.0.0", "169.253.255.255", "172.15.255.255", "172.32.0.0",
                     "192.0.1.0", "192.0.3.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
                     "203.0.112.255", "223.255.255.255",
                     "2000::", "2001:200::", "2001:4860:4860::8888", "2606:4700:4700::1111", "2620:4f:7fff::1",
                     "3ffe:ffff::1", "3fff:1000::", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] {
            #expect(Self.refusal(Self.bytes(text)) == nil, "\(text)")
        }
    }

    /// IPv4-mapped addresses and the well-known NAT64 prefix are judged by the IPv4 address they carry.
    @Test func embeddedIPv4IsJudgedByIt() {
        for prefix in ["::ffff:", "64:ff9b::"] {
            for refused in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "0.0.0.0", "224.0.0.1"] {
                #expect(Self.refusal(Self.bytes(prefix + refused)) != nil, "\(prefix)\(refused)")
            }
            #expect(Self.refusal(Self.bytes(prefix + "8.8.8.8")) == nil, "\(prefix)8.8.8.8")
        }
        // The IPv4-translated form (RFC 2765) and the local-use NAT64 prefix are not global destinations.
        for text in ["::ffff:0:808:808", "64:ff9b:1::808:808", "::808:808"] {
            #expect(Self.refusal(Self.bytes(text)) != nil, "\(text)")
        }
    }

    @Test func text() {
        #expect(AddressPolicy.text([127, 0, 0, 1]) == "127.0.0.1")
        #expect(AddressPolicy.text(Self.bytes("::1")) == "0:0:0:0:0:0:0:1")
    }
}
