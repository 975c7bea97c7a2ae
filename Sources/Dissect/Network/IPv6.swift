import Wire

/// IPv6 fixed header (RFC 8200 §3) and its extension-header chain (§4).
///
///     | ver 4 | traffic class 8 | flow label 20                   |
///     | payload length 16               | next header 8 | hop lim 8 |
///     | source address (128) | destination address (128)         |
public struct IPv6Header: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    /// The upper-layer protocol after every extension header was walked.
    public var protocolNumber: UInt8
    public var hopLimit: UInt8
    public var trafficClass: UInt8
    /// Set when a Fragment header was found (RFC 8200 §4.5).
    public var fragment: Fragment?
    /// Upper-layer bytes the header declares (after extension headers), whatever was captured.
    public var payloadLength: Int

    public struct Fragment: Sendable {
        public var offset: Int
        public var moreFragments: Bool
        public var identification: UInt32
    }

    /// More extension headers than any sane packet carries: stop walking (Suricata-style limit).
    public static let maximumExtensionHeaders = 16

    @inline(always)
    static func decode(_ input: inout ByteCursor) throws(DecodeError) -> (IPv6Header, ByteCursor) {
        let start = input.offset
        let fixed = try input.readHeader(40)
        let first = fixed.u32(0)
        guard first >> 28 == 6 else { throw .malformed(at: start, reason: "IPv6 version") }
        let payloadLength = Int(fixed.u16(4))
        var next = fixed.u8(6)
        let hopLimit = fixed.u8(7)
        let source = IPAddress(v6High: fixed.u64(8), low: fixed.u64(16))
        let destination = IPAddress(v6High: fixed.u64(24), low: fixed.u64(32))
        // Payload length 0 means a jumbogram (RFC 2675) or a TSO capture: use what was captured.
        var payload = payloadLength == 0 ? input.rest : input.takeAtMost(payloadLength)
        var fragment: Fragment? = nil
        var walked = 0
        walk: while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                next = try payload.read(UInt8.self)
                let length = (Int(try payload.read(UInt8.self)) &+ 1) &* 8
                try payload.skip(length &- 2)
            case 44:  // fragment: next, reserved, offset(13)|res(2)|M(1), identification
                next = try payload.read(UInt8.self)
                try payload.skip(1)
                let offsetAndFlag = try payload.read(UInt16.self)
                let identification = try payload.read(UInt32.self)
                fragment = Fragment(
                    offset: Int(offsetAndFlag & 0xFFF8),
                    moreFragments: offsetAndFlag & 1 != 0,
                    identification: identification
                )
                if fragment?.offset != 0 { break walk }  // later fragments carry no further headers
            default:
                break walk
            }
            walked &+= 1
            guard walked <= maximumExtensionHeaders else {
                throw .malformed(at: payload.offset, reason: "IPv6 extension header chain too long")
            }
        }
        let header = IPv6Header(
            source: source,
            destination: destination,
            protocolNumber: next,
            hopLimit: hopLimit,
            trafficClass: UInt8(truncatingIfNeeded: first >> 20),
            fragment: fragment,
            payloadLength: payloadLength == 0 ? payload.remaining : Swift.max(0, payloadLength &- payload.offset)
        )
        return (header, payload)
    }
}
