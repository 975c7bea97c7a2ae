/// The fixed lowercase protocol vocabulary of `callpath packets` (issue 3 item 8): link, network
/// and transport layers, tunnels, and what the payload decoders recognise.
public enum ProtocolName: UInt8, CaseIterable, Sendable {
    // link
    case eth, sll, sll2, null, loop, ppp
    // network and transport
    case ipv4, ipv6, icmp, ah, udp, tcp
    // tunnels followed by FrameDecoder
    case gre, l2tp, teredo, gtp, vxlan, pptp
    // payloads
    case stun, turnChannel, rtp, rtcp, srtp, srtcp, zrtp, dtls, quic, tls, sip, sdp
    case sstp, iphttps, esp, isakmp, openvpn, wireguard

    public var text: StaticString {
        switch self {
        case .eth: "eth"
        case .sll: "sll"
        case .sll2: "sll2"
        case .null: "null"
        case .loop: "loop"
        case .ppp: "ppp"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .icmp: "icmp"
        case .ah: "ah"
        case .udp: "udp"
        case .tcp: "tcp"
        case .gre: "gre"
        case .l2tp: "l2tp"
        case .teredo: "teredo"
        case .gtp: "gtp"
        case .vxlan: "vxlan"
        case .pptp: "pptp"
        case .stun: "stun"
        case .turnChannel: "turn-channel"
        case .rtp: "rtp"
        case .rtcp: "rtcp"
        case .srtp: "srtp"
        case .srtcp: "srtcp"
        case .zrtp: "zrtp"
        case .dtls: "dtls"
        case .quic: "quic"
        case .tls: "tls"
        case .sip: "sip"
        case .sdp: "sdp"
        case .sstp: "sstp"
        case .iphttps: "iphttps"
        case .esp: "esp"
        case .isakmp: "isakmp"
        case .openvpn: "openvpn"
        case .wireguard: "wireguard"
        }
    }

    /// Looks a name up in the vocabulary (for `--protocol NAME`).
    public init?(text: String) {
        guard let found = Self.allCases.first(where: { "\($0.text)" == text }) else { return nil }
        self = found
    }
}

/// The protocol stack of one packet, outermost first: up to 16 names packed into two words, so
/// recording it costs no allocation. Names past the 16th are counted in `overflow` and dropped.
public struct LayerTrail: Sendable, Equatable {
    // Readable and writable from inlinable code: appending, the subscript and `contains` run
    // several times per packet in other modules, where a call costs more than the bit shift itself.
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var high: UInt64 = 0
    @usableFromInline var storedCount = 0
    @usableFromInline var storedOverflow = 0

    /// Computed so that inlined code in other modules sees the constant, not a global to load.
    @inlinable public static var capacity: Int { 16 }

    /// How many names the trail holds (at most `capacity`).
    @inlinable public var count: Int { storedCount }
    /// How many names were dropped past `capacity`.
    @inlinable public var overflow: Int { storedOverflow }

    public init() {}

    @inline(always)
    public mutating func append(_ name: ProtocolName) { append(raw: name.rawValue) }

    @inlinable @inline(always)
    mutating func append(raw: UInt8) {
        guard storedCount < Self.capacity else {
            storedOverflow &+= 1
            return
        }
        let shift = UInt64((storedCount & 7) &* 8)
        if storedCount < 8 { low |= UInt64(raw) << shift } else { high |= UInt64(raw) << shift }
        storedCount &+= 1
    }

    @inlinable
    public subscript(position: Int) -> ProtocolName {
        ProtocolName(rawValue: rawValue(at: position)) ?? .eth
    }

    /// The raw value of the name at `position`, without the range check of building the name.
    @inlinable
    public func rawValue(at position: Int) -> UInt8 {
        let word = position < 8 ? low : high
        return UInt8(truncatingIfNeeded: word >> UInt64((position & 7) &* 8))
    }

    @inlinable
    public func contains(_ name: ProtocolName) -> Bool { contains(raw: name.rawValue) }

    /// Eight names per word compared at once: a zero byte in `word ^ pattern` is a match. Bytes
    /// past `count` are set to 0xFF first, so they never match. Always inlined: left to itself the
    /// compiler made it a call on every frame, which cost more than the comparison.
    @inlinable @inline(__always)
    func contains(raw: UInt8) -> Bool {
        @inline(__always) func matches(_ word: UInt64, valid: Int) -> Bool {
            let unused: UInt64 = valid >= 8 ? 0 : ~0 << UInt64(valid &* 8)
            let x = (word ^ (0x0101_0101_0101_0101 &* UInt64(raw))) | unused
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
        }
        return matches(low, valid: count) || (count > 8 && matches(high, valid: count &- 8))
    }

    /// Appends, in order, each of `other`'s names this trail does not hold yet.
    @inline(always)  // often `other` is empty or holds one name: then this is all that runs
    public mutating func appendMissing(_ other: LayerTrail) {
        if other.count == 1 {
            let raw = other.rawValue(at: 0)
            if !contains(raw: raw) { append(raw: raw) }
        } else if other.count > 1 {
            appendEachMissing(other)
        }
    }

    @inlinable
    mutating func appendEachMissing(_ other: LayerTrail) {
        for i in 0..<other.count {
            let raw = other.rawValue(at: i)
            if !contains(raw: raw) { append(raw: raw) }
        }
    }

    public var last: ProtocolName? { count > 0 ? self[count &- 1] : nil }
}
