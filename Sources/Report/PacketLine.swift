import Dissect
import Flows
import Wire

/// One line of `callpath packets`: a frame's addresses, protocol stack and decoded payload.
/// Built per frame and rendered at once, while the frame's bytes are still valid.
public struct PacketLine {
    public var frame: Int
    public var time: Timestamp
    public var source: IPAddress?
    public var destination: IPAddress?
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var transport: Transport?
    public var protocols: LayerTrail
    /// The payload decoders' findings (empty when the frame had no UDP/TCP payload).
    public var analysis = PacketAnalysis()
    /// The transport payload `analysis` refers to (valid only while the frame is being read).
    public var payload: UnsafeRawBufferPointer
    /// A TLS hello reassembled from several segments (`analysis.tlsHelloLocation == .reassembled`).
    public var reassembledHello: UnsafeRawBufferPointer
    /// A SIP message unmasked from WebSocket frames (`analysis.sipLocation == .reassembled`).
    public var reassembledSIP: UnsafeRawBufferPointer
    /// What the innermost IP header carried when it was not UDP/TCP (ESP, GRE…).
    public var terminal: TerminalPayload?
    public var malformed: Bool

    public init(frame: Int, time: Timestamp) {
        self.frame = frame
        self.time = time
        protocols = LayerTrail()
        payload = UnsafeRawBufferPointer(start: nil, count: 0)
        reassembledHello = UnsafeRawBufferPointer(start: nil, count: 0)
        reassembledSIP = UnsafeRawBufferPointer(start: nil, count: 0)
        malformed = false
    }

    /// Readies the line for the next frame, keeping its analysis (the analyzer resets that when it
    /// writes the next one) so its box of decoded values is reused, not rebuilt per packet.
    public mutating func start(frame: Int, time: Timestamp) {
        self.frame = frame
        self.time = time
        source = nil
        destination = nil
        sourcePort = nil
        destinationPort = nil
        transport = nil
        protocols = LayerTrail()
        payload = UnsafeRawBufferPointer(start: nil, count: 0)
        reassembledHello = UnsafeRawBufferPointer(start: nil, count: 0)
        reassembledSIP = UnsafeRawBufferPointer(start: nil, count: 0)
        terminal = nil
        malformed = false
    }
}

extension PacketLine {
    /// Takes the segment's addresses, ports and transport as the line's.
    @inlinable
    public mutating func noteEndpoints(of segment: TransportSegment) {
        source = segment.source.address
        destination = segment.destination.address
        sourcePort = segment.source.port
        destinationPort = segment.destination.port
        transport = segment.transport
    }

    /// Re-points each byte view (payload, reassembled hello or SIP message, terminal payload) at the
    /// copy `keep` makes of its bytes, so the line outlives its frame.
    /// Empty views (most lines have only a payload) are left alone without calling `keep`.
    @inlinable
    public mutating func keepBytes(_ keep: (UnsafeRawBufferPointer) -> UnsafeRawBufferPointer) {
        if payload.count > 0 { payload = keep(payload) }
        if reassembledHello.count > 0 { reassembledHello = keep(reassembledHello) }
        if reassembledSIP.count > 0 { reassembledSIP = keep(reassembledSIP) }
        if let view = terminal?.payload, view.count > 0 { terminal?.payload = keep(view) }
    }
}
