import Dissect
import Wire

/// What the payload decoders found in one transport segment: the application protocol names in
/// order (outer to inner, e.g. `stun`, `rtp` for RTP inside a TURN Data indication) and the decoded
/// headers. Plain values only: filling one allocates nothing. Ranges in the decoded values count
/// from `…Offset` within the segment's payload.
public struct PacketAnalysis: Sendable {
    public var protocols = LayerTrail()
    public var stun: STUNMessage?
    public var stunOffset = 0
    /// Round-trip time of a response, from its request's capture time.
    public var stunRoundTrip: Int64?
    public var stunRequestFrame: Int?
    public var channelData: TURNChannelData?
    public var msFrame: MSTURNMultiplexedFrame?
    public var rtp: RTPHeader?
    public var rtcp: RTCPCompound?
    public var dtls: DTLSDatagram?
    public var dtlsOffset = 0
    /// TLS: records that ended in this segment, the first one's type, and a hello if one completed.
    public var tlsRecords = 0
    public var tlsFirstType: TLSContentType?
    public var tlsHandshakeType: UInt8?
    public var tlsHello: TLSHello?
    /// Where the hello's ranges start: in the segment payload, or in `FlowState`'s hello buffer.
    public var tlsHelloLocation: HelloLocation = .payload(0)
    public var sip: SIPMessage?
    public var sipOffset = 0
    public var sdp: SDPSummary?
    public var esp: ESPHeader?
    public var ike: IKEHeader?
    public var openvpn: OpenVPNPacket?
    public var wireguard: WireGuardMessage?
    public var pptpControlType: UInt16?
    public var sstp: SSTPPacket?
    /// Set when a recognised protocol's bytes did not hold together.
    public var malformed: StaticString?

    public init() {}

    /// Empties every field, as `PacketAnalysis()` would, in place: one copy from a template, where
    /// assigning a fresh value builds it and then copies it (well over a kilobyte per packet).
    mutating func reset() { self = Self.empty }

    private static let empty = PacketAnalysis()

    public enum HelloLocation: Sendable, Equatable {
        case payload(Int)
        /// The hello was reassembled from several segments; its bytes are not kept for rendering.
        case reassembled
    }
}
