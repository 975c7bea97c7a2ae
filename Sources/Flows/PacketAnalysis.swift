import Dissect
import Wire

/// What the payload decoders found in one transport segment: the application protocol names in
/// order (outer to inner, e.g. `stun`, `rtp` for RTP inside a TURN Data indication) and the decoded
/// headers. Ranges in the decoded values count from `…Offset` within the segment's payload.
///
/// The analyzer resets and fills one per packet, so it is kept small: the large decoded values that
/// few packets carry (STUN and its round trip, DTLS, a TLS hello, SIP/SDP, TURN framing, IKE, the
/// VPN headers) live in `DecodedPayloads`, a copy-on-write box allocated on first use and then
/// reused by the value it belongs to, and a bit in `boxed` says which of them this packet has.
/// Reading an absent one touches only that bit.
public struct PacketAnalysis: Sendable {
    public var protocols = LayerTrail()
    public var stunOffset = 0
    public var rtp: RTPHeader?
    public var rtcp: RTCPCompound?
    public var dtlsOffset = 0
    /// TLS: records that ended in this segment, the first one's type, and a hello if one completed.
    public var tlsRecords = 0
    /// Where the hello's ranges start: in the segment payload, or in `PacketAnalyzer.reassembledHello`.
    public var tlsHelloLocation: Location = .payload(0)
    // The small fields sit between the two locations, in padding the first one leaves.
    public var tlsFirstType: TLSContentType?
    public var tlsHandshakeType: UInt8?
    public var pptpControlType: UInt16?
    /// Where the SIP message's ranges start: in the segment payload, or in
    /// `PacketAnalyzer.reassembledSIP` (a message unmasked from WebSocket frames).
    public var sipLocation: Location = .payload(0)
    /// Set when a recognised protocol's bytes did not hold together.
    public var malformed: StaticString?
    // Inlinable getters (below) read these from other modules in place: an outlined getter call
    // made the caller copy the whole analysis first.
    @usableFromInline var boxed: Boxed = []
    @usableFromInline var decoded: DecodedPayloads?

    public init() {}

    /// Whether any of the large decoded values (STUN, DTLS, SIP, the VPN headers…) is present:
    /// most packets (RTP) have none, and a reader can skip all their getters at once.
    @inlinable public var hasBoxedValues: Bool { !boxed.isEmpty }

    public var stun: STUNMessage? {
        @inlinable get { boxed.contains(.stun) ? decoded?.stun : nil }
        set { if let newValue { storage(.stun).stun = newValue } else { boxed.subtract(.stun) } }
    }
    public var channelData: TURNChannelData? {
        @inlinable get { boxed.contains(.channelData) ? decoded?.channelData : nil }
        set { if let newValue { storage(.channelData).channelData = newValue } else { boxed.subtract(.channelData) } }
    }
    public var msFrame: MSTURNMultiplexedFrame? {
        @inlinable get { boxed.contains(.msFrame) ? decoded?.msFrame : nil }
        set { if let newValue { storage(.msFrame).msFrame = newValue } else { boxed.subtract(.msFrame) } }
    }
    public var dtls: DTLSDatagram? {
        @inlinable get { boxed.contains(.dtls) ? decoded?.dtls : nil }
        set { if let newValue { storage(.dtls).dtls = newValue } else { boxed.subtract(.dtls) } }
    }
    public var tlsHello: TLSHello? {
        @inlinable get { boxed.contains(.tlsHello) ? decoded?.tlsHello : nil }
        set { if let newValue { storage(.tlsHello).tlsHello = newValue } else { boxed.subtract(.tlsHello) } }
    }
    public var sip: SIPMessage? {
        @inlinable get { boxed.contains(.sip) ? decoded?.sip : nil }
        set { if let newValue { storage(.sip).sip = newValue } else { boxed.subtract(.sip) } }
    }
    public var sdp: SDPSummary? {
        @inlinable get { boxed.contains(.sdp) ? decoded?.sdp : nil }
        set { if let newValue { storage(.sdp).sdp = newValue } else { boxed.subtract(.sdp) } }
    }
    public var ike: IKEHeader? {
        @inlinable get { boxed.contains(.ike) ? decoded?.ike : nil }
        set { if let newValue { storage(.ike).ike = newValue } else { boxed.subtract(.ike) } }
    }
    /// Round-trip time of a response, from its request's capture time.
    public var stunRoundTrip: Int64? {
        @inlinable get { boxed.contains(.stunRoundTrip) ? decoded?.stunRoundTrip : nil }
        set {
            if let newValue { storage(.stunRoundTrip).stunRoundTrip = newValue } else { boxed.subtract(.stunRoundTrip) }
        }
    }
    public var stunRequestFrame: Int? {
        @inlinable get { boxed.contains(.stunRequestFrame) ? decoded?.stunRequestFrame : nil }
        set {
            if let newValue {
                storage(.stunRequestFrame).stunRequestFrame = newValue
            } else {
                boxed.subtract(.stunRequestFrame)
            }
        }
    }
    public var esp: ESPHeader? {
        @inlinable get { boxed.contains(.esp) ? decoded?.esp : nil }
        set { if let newValue { storage(.esp).esp = newValue } else { boxed.subtract(.esp) } }
    }
    public var openvpn: OpenVPNPacket? {
        @inlinable get { boxed.contains(.openvpn) ? decoded?.openvpn : nil }
        set { if let newValue { storage(.openvpn).openvpn = newValue } else { boxed.subtract(.openvpn) } }
    }
    public var wireguard: WireGuardMessage? {
        @inlinable get { boxed.contains(.wireguard) ? decoded?.wireguard : nil }
        set { if let newValue { storage(.wireguard).wireguard = newValue } else { boxed.subtract(.wireguard) } }
    }
    public var sstp: SSTPPacket? {
        @inlinable get { boxed.contains(.sstp) ? decoded?.sstp : nil }
        set { if let newValue { storage(.sstp).sstp = newValue } else { boxed.subtract(.sstp) } }
    }

    /// Empties every field, as `PacketAnalysis()` would, in place, keeping the box for reuse.
    public mutating func reset() {
        var box: DecodedPayloads? = nil
        swap(&box, &decoded)  // moved out and back: no reference counting per packet
        self = PacketAnalysis()  // stores the defaults; a copy of a stored empty value cost twice as much
        swap(&box, &decoded)
    }

    /// Becomes a copy of `other` without sharing its box, so neither has to copy it on its next write.
    public mutating func assign(_ other: PacketAnalysis) {
        var box: DecodedPayloads? = nil
        swap(&box, &decoded)
        self = other
        swap(&box, &decoded)
        guard !boxed.isEmpty, let source = other.decoded else { return }
        storage([]).copy(from: source)
    }

    /// The box, unshared (copied or created first if needed), with `field`'s bit set.
    private mutating func storage(_ field: Boxed) -> DecodedPayloads {
        boxed.formUnion(field)
        if isKnownUniquelyReferenced(&decoded), let decoded { return decoded }
        let box = DecodedPayloads()
        if let decoded { box.copy(from: decoded) }
        decoded = box
        return box
    }

    @usableFromInline struct Boxed: OptionSet, Sendable {
        @usableFromInline let rawValue: UInt16
        @inlinable init(rawValue: UInt16) { self.rawValue = rawValue }
        @inlinable static var stun: Boxed { Boxed(rawValue: 1 << 0) }
        @inlinable static var channelData: Boxed { Boxed(rawValue: 1 << 1) }
        @inlinable static var msFrame: Boxed { Boxed(rawValue: 1 << 2) }
        @inlinable static var dtls: Boxed { Boxed(rawValue: 1 << 3) }
        @inlinable static var tlsHello: Boxed { Boxed(rawValue: 1 << 4) }
        @inlinable static var sip: Boxed { Boxed(rawValue: 1 << 5) }
        @inlinable static var sdp: Boxed { Boxed(rawValue: 1 << 6) }
        @inlinable static var ike: Boxed { Boxed(rawValue: 1 << 7) }
        @inlinable static var stunRoundTrip: Boxed { Boxed(rawValue: 1 << 8) }
        @inlinable static var stunRequestFrame: Boxed { Boxed(rawValue: 1 << 9) }
        @inlinable static var esp: Boxed { Boxed(rawValue: 1 << 10) }
        @inlinable static var openvpn: Boxed { Boxed(rawValue: 1 << 11) }
        @inlinable static var wireguard: Boxed { Boxed(rawValue: 1 << 12) }
        @inlinable static var sstp: Boxed { Boxed(rawValue: 1 << 13) }
    }

    /// Where the bytes a decoded value's ranges count from are.
    public enum Location: Sendable, Equatable {
        /// In the segment payload, from this offset.
        case payload(Int)
        /// In a buffer of the analyzer, filled for this packet: the value was put together from
        /// several segments (a TLS hello) or unmasked (SIP over WebSocket).
        case reassembled
    }
}

/// The large decoded values of a `PacketAnalysis`. A field counts only while its bit in the owner's
/// `boxed` is set; stale values stay behind so a reset writes nothing here. Only ever mutated
/// through a uniquely referenced owner (copy-on-write), hence `@unchecked Sendable`.
///
/// For the same reason no two accesses to a field can overlap, so the fields skip Swift's dynamic
/// exclusivity checks, which cost about 70 instructions per write on a third of a busy call
/// capture's packets. Not `stun`: without its checks Swift copies the 456-byte message more often
/// where the packet report reads it.
@usableFromInline final class DecodedPayloads: @unchecked Sendable {
    @usableFromInline var stun: STUNMessage?
    @exclusivity(unchecked) @usableFromInline var channelData: TURNChannelData?
    @exclusivity(unchecked) @usableFromInline var msFrame: MSTURNMultiplexedFrame?
    @exclusivity(unchecked) @usableFromInline var dtls: DTLSDatagram?
    @exclusivity(unchecked) @usableFromInline var tlsHello: TLSHello?
    @exclusivity(unchecked) @usableFromInline var sip: SIPMessage?
    @exclusivity(unchecked) @usableFromInline var sdp: SDPSummary?
    @exclusivity(unchecked) @usableFromInline var ike: IKEHeader?
    @exclusivity(unchecked) @usableFromInline var stunRoundTrip: Int64?
    @exclusivity(unchecked) @usableFromInline var stunRequestFrame: Int?
    @exclusivity(unchecked) @usableFromInline var esp: ESPHeader?
    @exclusivity(unchecked) @usableFromInline var openvpn: OpenVPNPacket?
    @exclusivity(unchecked) @usableFromInline var wireguard: WireGuardMessage?
    @exclusivity(unchecked) @usableFromInline var sstp: SSTPPacket?

    init() {}

    func copy(from other: DecodedPayloads) {
        stun = other.stun
        channelData = other.channelData
        msFrame = other.msFrame
        dtls = other.dtls
        tlsHello = other.tlsHello
        sip = other.sip
        sdp = other.sdp
        ike = other.ike
        stunRoundTrip = other.stunRoundTrip
        stunRequestFrame = other.stunRequestFrame
        esp = other.esp
        openvpn = other.openvpn
        wireguard = other.wireguard
        sstp = other.sstp
    }
}
