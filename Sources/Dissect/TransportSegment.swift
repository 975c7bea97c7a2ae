import Wire

/// One UDP or TCP header found in a frame, with the bytes that follow it.
/// A frame can yield several (the outer and inner packets of a tunnel); `tunnelDepth` counts
/// how many tunnel layers enclose this one (0 = outermost).
///
/// The fields are declared in the order that packs them into 121 bytes: at most 128, a segment
/// is copied with a few vector moves instead of a call to `memcpy` (one copy per segment).
public struct TransportSegment {
    public var source: Endpoint
    public var destination: Endpoint
    public var transport: Transport
    /// Set for a datagram that arrived in IP fragments: only its header was kept.
    public var reassembled: Bool
    /// The header is part of a packet quoted by an ICMP error (only with `followsICMPQuotes`).
    public var insideICMPError: Bool
    /// The captured payload bytes; valid only during the callback that received the segment.
    public var payload: UnsafeRawBufferPointer
    /// The protocol stack down to this transport header, outermost first.
    public var layers: LayerTrail
    public var tunnelDepth: Int
    public var tcp: TCPHeader?

    public init(
        transport: Transport,
        source: Endpoint,
        destination: Endpoint,
        payload: UnsafeRawBufferPointer,
        tcp: TCPHeader?,
        tunnelDepth: Int,
        reassembled: Bool,
        layers: LayerTrail = LayerTrail(),
        insideICMPError: Bool = false
    ) {
        self.transport = transport
        self.source = source
        self.destination = destination
        self.payload = payload
        self.tcp = tcp
        self.tunnelDepth = tunnelDepth
        self.reassembled = reassembled
        self.layers = layers
        self.insideICMPError = insideICMPError
    }
}

/// Per-capture counts of what the decoder saw; nothing is ever silently dropped.
public struct DecodeCounters: Sendable, Equatable {
    public var frames = 0
    public var ipv4 = 0
    public var ipv6 = 0
    public var udp = 0
    public var tcp = 0
    public var icmp = 0
    public var ipFragments = 0
    public var tunnelled = 0
    /// Frames whose link layer carries something other than IP (ARP, LLDP, …).
    public var nonIP = 0
    /// Frames cut off by the snaplen or holding impossible field values.
    public var malformed = 0

    public init() {}

    /// Adds another decoder's counts (`packets` decodes frames on one thread and the packets
    /// lifted out of tunnels on another).
    public mutating func add(_ other: DecodeCounters) {
        frames &+= other.frames
        ipv4 &+= other.ipv4
        ipv6 &+= other.ipv6
        udp &+= other.udp
        tcp &+= other.tcp
        icmp &+= other.icmp
        ipFragments &+= other.ipFragments
        tunnelled &+= other.tunnelled
        nonIP &+= other.nonIP
        malformed &+= other.malformed
    }
}
