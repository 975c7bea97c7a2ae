import Dissect
import Flows
import Wire

/// Collects, packet by packet, the facts the judge needs: media flows, ICE checks and what they
/// reveal about NAT, TURN allocations, STUN servers and VPN outer flows. Memory grows with flows,
/// allocations and the seconds a tunnel lasts, not with packets.
public struct CallTracker {
    /// Media flows and VPN outer flows, found per packet through one cheap-hashed index (a Swift
    /// dictionary lookup costs more than the rest of the packet's tracking).
    private var rows = EndpointPairIndex()
    private var slots: [FlowSlot] = []
    private var mediaRecords: [MediaFlowRecord] = []
    private var tunnelRecords: [TunnelFlowRecord] = []

    struct FlowSlot {
        var media = -1
        var tunnel = -1
        var dtlsFrame: Int? = nil
    }

    /// Every media flow (and flow with ICE checks), by 5-tuple.
    public var media: [FlowKey: MediaFlowRecord] {
        Dictionary(mediaRecords.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }
    /// Every flow taken for a VPN's outer flow (or a TLS flow that may be one), by 5-tuple.
    public var tunnels: [FlowKey: TunnelFlowRecord] {
        Dictionary(tunnelRecords.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }
    public var mediaFlows: [MediaFlowRecord] { mediaRecords }

    /// The media record of one 5-tuple.
    public func media(of key: FlowKey) -> MediaFlowRecord? {
        guard let row = rows.value(for: key), slots[row].media >= 0 else { return nil }
        return mediaRecords[slots[row].media]
    }

    /// The tunnel record of one 5-tuple.
    public func tunnel(of key: FlowKey) -> TunnelFlowRecord? {
        guard let row = rows.value(for: key), slots[row].tunnel >= 0 else { return nil }
        return tunnelRecords[slots[row].tunnel]
    }
    public var tunnelFlows: [TunnelFlowRecord] { tunnelRecords }
    public private(set) var allocations: [FlowKey: TURNAllocationRecord] = [:]
    /// XOR-MAPPED-ADDRESS learnt for a local endpoint from a STUN or TURN server: its public face.
    public private(set) var serverReflexive: [Endpoint: (mapped: Endpoint, frame: Int)] = [:]
    /// Addresses that answered as STUN or TURN servers (Binding without ICE credentials, Allocate).
    public private(set) var stunServers: [IPAddress: Int] = [:]
    public private(set) var turnServers: [IPAddress: Int] = [:]
    /// Addresses the client sent TURN Allocate or plain STUN Binding requests to, answered or not
    /// (UDP may be blocked): the STUN/TURN servers the client was configured with.
    public private(set) var turnRequests: [IPAddress: Int] = [:]
    /// How many flows each address takes part in: the capture's own host takes part in most.
    /// Counted once, before judging, from the flow table (`countFlows`), not per packet.
    public private(set) var flowsPerAddress: [IPAddress: Int] = [:]
    /// Addresses that asked a STUN/TURN server or opened a VPN tunnel: hosts on the capture's side.
    public private(set) var serverClients = Set<IPAddress>()
    /// SDP offers and answers seen in SIP, in capture order.
    public private(set) var sdpOffers: [SDPOffer] = []
    /// The source of the capture's first packet.
    public private(set) var firstSource: IPAddress?
    public private(set) var firstTime: Timestamp?
    public private(set) var lastTime: Timestamp?
    public private(set) var packets = 0

    public init() {}

    /// Counts, for every address, the flows it takes part in.
    public mutating func countFlows(_ keys: [FlowKey]) {
        flowsPerAddress.removeAll(keepingCapacity: true)
        for key in keys {
            flowsPerAddress[key.low.address, default: 0] &+= 1
            flowsPerAddress[key.high.address, default: 0] &+= 1
        }
    }

    /// Takes one decoded transport segment with what the payload analyzer found in it;
    /// `reassembledSIP` holds the SIP message when `analysis.sipLocation` is `.reassembled`.
    public mutating func observe(
        _ meta: PacketMeta,
        _ segment: TransportSegment,
        _ analysis: PacketAnalysis,
        hopLimit: UInt8 = 0,
        reassembledSIP: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) {
        packets &+= 1
        if firstTime == nil {
            firstTime = meta.timestamp
            firstSource = segment.source.address
        }
        if lastTime.map({ meta.timestamp > $0 }) ?? true { lastTime = meta.timestamp }
        let key = FlowKey(segment.transport, segment.source, segment.destination)
        let protocols = ProtocolSet(analysis.protocols)
        let slot = slot(for: key)
        // The protocol set gates each look into the (large) analysis, so most packets copy none of it.
        if protocols.contains(.stun), let stun = analysis.stun { noteSTUN(stun, analysis, meta, segment, key, slot) }
        if protocols.containsAny(.media) || Self.relaysMedia(analysis, protocols, segment.payload) {
            noteMedia(meta, segment, analysis, protocols, key, slot, hopLimit: hopLimit)
        } else if slots[slot].media >= 0, meta.timestamp > mediaRecords[slots[slot].media].lastTime {
            mediaRecords[slots[slot].media].lastTime = meta.timestamp
        }
        if protocols.contains(.sip), let sip = analysis.sip, sip.hasSDP {
            switch analysis.sipLocation {
            case .payload(let offset): noteSDP(sip, in: segment.payload, at: offset, meta, from: segment.source.address)
            case .reassembled: noteSDP(sip, in: reassembledSIP, at: 0, meta, from: segment.source.address)
            }
        }
        if protocols.contains(.dtls), slots[slot].dtlsFrame == nil { slots[slot].dtlsFrame = meta.frame }
        // Once a flow is a tunnel, all its packets count (TCP segments that continue a record carry no label).
        let known = slots[slot].tunnel >= 0 ? tunnelRecords[slots[slot].tunnel].kind : nil
        if let kind = Self.tunnelKind(protocols, segment.transport) ?? known {
            noteTunnel(kind, meta, segment, analysis, key, slot)
        }
    }

    /// Takes a frame's IP payload that is neither UDP nor TCP (`FrameDecoder.terminal`, with the
    /// frame's `layers`): plain ESP (IPsec without NAT-T) and GRE are a VPN's outer flow between two
    /// hosts, counted for its rhythm like ESP-in-UDP or L2TP's outer flow (the judge drops a run
    /// whose inner media it judged `vpn`). Such a flow has no ports: its key holds port 0.
    public mutating func observe(_ meta: PacketMeta, _ terminal: TerminalPayload, layers: LayerTrail) {
        guard let kind = Self.tunnelKind(ipProtocol: terminal.protocolNumber, layers) else { return }
        let source = Endpoint(address: terminal.source, port: 0)
        let destination = Endpoint(address: terminal.destination, port: 0)
        let key = FlowKey(.udp, source, destination)
        let row = countTunnelPacket(
            kind,
            meta,
            from: source,
            to: destination,
            key,
            slot(for: key),
            ipProtocol: terminal.protocolNumber
        )
        serverClients.insert(tunnelRecords[row].client.address)
    }

    /// The slot of a flow, made on first sight.
    private mutating func slot(for key: FlowKey) -> Int {
        if let row = rows.value(for: key) { return row }
        slots.append(FlowSlot())
        rows.set(slots.count - 1, for: key)
        return slots.count - 1
    }

    /// The media record of a slot, made on first use.
    private mutating func mediaRow(_ slot: Int, _ key: FlowKey, _ meta: PacketMeta) -> Int {
        if slots[slot].media < 0 {
            mediaRecords.append(MediaFlowRecord(key: key, frame: meta.frame, time: meta.timestamp))
            slots[slot].media = mediaRecords.count - 1
        }
        return slots[slot].media
    }

    /// TURN ChannelData whose inner bytes the decoders could not label (TURN over TCP or TLS, SRTP
    /// before its stream is confirmed): RTP/RTCP by its first byte (RFC 7983), or, when the bytes
    /// are not in this segment, relayed data, which in a call is media.
    static func relaysMedia(_ analysis: PacketAnalysis, _ protocols: ProtocolSet, _ payload: UnsafeRawBufferPointer)
        -> Bool
    {
        guard protocols.contains(.turnChannel) else { return false }
        guard let data = analysis.channelData?.data ?? analysis.msFrame?.data else { return true }
        guard data.lowerBound >= 0, data.lowerBound < payload.count else { return true }
        return (128...191).contains(payload[data.lowerBound])
    }

    /// The VPN this flow's packets belong to, if any, from the decoders' verdict on the flow.
    static func tunnelKind(_ protocols: ProtocolSet, _ transport: Transport) -> ProtocolName? {
        guard protocols.containsAny(tunnelProtocols) else { return nil }
        for name in [ProtocolName.sstp, .iphttps, .openvpn, .wireguard, .esp, .l2tp, .pptp]
        where protocols.contains(name) {
            return name
        }
        if protocols.contains(.isakmp) { return .esp }
        // A TLS flow over TCP: a tunnel only if the judge finds a call's rhythm in it. QUIC's TLS
        // handshake rides in UDP datagrams (RFC 9001): an HTTP/3 connection is no TLS tunnel.
        return protocols.contains(.tls) && transport == .tcp ? .tls : nil
    }

    static let tunnelProtocols = ProtocolSet([.sstp, .iphttps, .openvpn, .wireguard, .esp, .l2tp, .pptp, .isakmp, .tls])

    /// The VPN an IP packet without ports belongs to: ESP (IP protocol 50), or GRE (47), which is
    /// PPTP when it carries PPP (encrypted or not: its outer rhythm is the same).
    static func tunnelKind(ipProtocol: UInt8, _ layers: LayerTrail) -> ProtocolName? {
        switch ipProtocol {
        case 50: .esp
        case 47: layers.contains(.ppp) ? .pptp : .gre
        default: nil
        }
    }

    // MARK: STUN and TURN

    private mutating func noteSTUN(
        _ message: STUNMessage,
        _ analysis: PacketAnalysis,
        _ meta: PacketMeta,
        _ segment: TransportSegment,
        _ key: FlowKey,
        _ slot: Int
    ) {
        let attributes = message.attributes
        let method = message.method
        switch (method, message.messageClass) {
        case (.binding, .request) where attributes.username != nil:
            // An ICE connectivity check (RFC 8445 §7.2.2): USERNAME carries the ufrag pair.
            let row = mediaRow(slot, key, meta)
            var record = mediaRecords[row]
            record.iceChecks &+= 1
            record.firstICECheckFrame = record.firstICECheckFrame ?? meta.frame
            if attributes.useCandidate { record.nominationFrame = record.nominationFrame ?? meta.frame }
            if segment.source == key.low {
                record.checkPriorityFromLow = record.checkPriorityFromLow ?? attributes.priority
            } else {
                record.checkPriorityFromHigh = record.checkPriorityFromHigh ?? attributes.priority
            }
            if record.iceUsername == nil, let range = attributes.username {
                record.iceUsername = Self.text(segment.payload, range, offset: analysis.stunOffset)
            }
            record.lastTime = max(record.lastTime, meta.timestamp)
            mediaRecords[row] = record
        case (.binding, .request):
            // No USERNAME: server-reflexive discovery against a STUN/TURN server (RFC 8445 §5.1.1.2).
            if turnRequests[segment.destination.address] == nil {
                turnRequests[segment.destination.address] = meta.frame
            }
        case (.binding, .success):
            guard let mapped = attributes.xorMappedAddress ?? attributes.mappedAddress else { return }
            if slots[slot].media >= 0, mediaRecords[slots[slot].media].iceChecks > 0 {
                // A check response: the requester (our destination) as the peer saw it.
                if segment.destination == key.low {
                    mediaRecords[slots[slot].media].mappedLow = mapped
                } else {
                    mediaRecords[slots[slot].media].mappedHigh = mapped
                }
            } else {
                serverClients.insert(segment.destination.address)
                stunServers[segment.source.address] = min(stunServers[segment.source.address] ?? meta.frame, meta.frame)
                if serverReflexive[segment.destination] == nil {
                    serverReflexive[segment.destination] = (mapped, meta.frame)
                }
            }
        case (.allocate, .request):
            if turnRequests[segment.destination.address] == nil {
                turnRequests[segment.destination.address] = meta.frame
            }
            if allocations[key] == nil {
                allocations[key] = TURNAllocationRecord(
                    key: key,
                    client: segment.source,
                    server: segment.destination,
                    requestFrame: meta.frame
                )
            }
            if attributes.msMagicCookie { allocations[key]?.microsoft = true }
        case (.allocate, .success):
            var record =
                allocations[key]
                ?? TURNAllocationRecord(
                    key: key,
                    client: segment.destination,
                    server: segment.source,
                    requestFrame: meta.frame
                )
            record.successFrame = record.successFrame ?? meta.frame
            // MS-TURN (Teams, Skype) returns the allocated address in MAPPED-ADDRESS and the client's
            // reflexive address in XOR-MAPPED-ADDRESS (MS-TURN §2.2.2.1).
            let microsoft = attributes.msMagicCookie || attributes.msVersion != nil
            let msRelayed = microsoft && attributes.xorRelayedAddress == nil ? attributes.mappedAddress : nil
            record.relayed = attributes.xorRelayedAddress ?? msRelayed ?? record.relayed
            record.mapped =
                attributes.xorMappedAddress ?? (msRelayed == nil ? attributes.mappedAddress : nil) ?? record.mapped
            if microsoft { record.microsoft = true }
            record.multiplexedSession = attributes.msMultiplexedSessionID ?? record.multiplexedSession
            record.lifetime = attributes.lifetime ?? record.lifetime
            if attributes.msMagicCookie { record.microsoft = true }
            allocations[key] = record
            turnServers[segment.source.address] = min(turnServers[segment.source.address] ?? meta.frame, meta.frame)
            serverClients.insert(segment.destination.address)
            if let mapped = record.mapped, serverReflexive[segment.destination] == nil {
                serverReflexive[segment.destination] = (mapped, meta.frame)
            }
        case (.allocate, .error):
            if let code = attributes.errorCode { allocations[key]?.errorCodes.insert(code) }
            turnServers[segment.source.address] = min(turnServers[segment.source.address] ?? meta.frame, meta.frame)
        case (.channelBind, .request), (.createPermission, .request), (.send, .indication), (.data, .indication):
            guard allocations[key] != nil else { return }
            if let peer = attributes.peerAddress { allocations[key]?.peers.insert(peer) }
            if let channel = attributes.channelNumber { allocations[key]?.channels.insert(channel) }
        default:
            break
        }
    }

    // MARK: SIP/SDP

    /// `sip`'s ranges count from `base` in `bytes`: the segment payload, or the unmasked WebSocket message.
    private mutating func noteSDP(
        _ sip: SIPMessage,
        in bytes: UnsafeRawBufferPointer,
        at base: Int,
        _ meta: PacketMeta,
        from sender: IPAddress
    ) {
        guard let body = Self.text(bytes, sip.body, offset: base) else { return }
        let callID = sip.callID.flatMap { Self.text(bytes, $0, offset: base) } ?? "?"
        let method = sip.method.flatMap { Self.text(bytes, $0, offset: base) }
        let message = method ?? sip.statusCode.map { "\($0)" } ?? "SIP"
        if let offer = SDPOffer(sdp: body, callID: callID, frame: meta.frame, sender: sender, message: message),
            sdpOffers.count < 10_000
        {
            sdpOffers.append(offer)
        }
    }

    // MARK: media

    private mutating func noteMedia(
        _ meta: PacketMeta,
        _ segment: TransportSegment,
        _ analysis: PacketAnalysis,
        _ protocols: ProtocolSet,
        _ key: FlowKey,
        _ slot: Int,
        hopLimit: UInt8
    ) {
        // Mutated in place: copying a record out and back would retain and release its arrays per packet.
        let tunnel = segment.tunnelDepth > 0 ? Self.enclosingTunnel(segment.layers) : nil
        let dtlsFrame = slots[slot].dtlsFrame
        let row = mediaRow(slot, key, meta)
        Self.update(&mediaRecords[row]) { record in
            if segment.source == key.low {
                record.packetsLowToHigh &+= 1
                record.hopLimitFromLow = max(record.hopLimitFromLow, hopLimit)
            } else {
                record.packetsHighToLow &+= 1
                record.hopLimitFromHigh = max(record.hopLimitFromHigh, hopLimit)
            }
            record.bytes &+= meta.wireLength
            record.mediaPackets &+= 1
            record.firstMediaFrame = record.firstMediaFrame ?? meta.frame
            if meta.timestamp > record.lastTime { record.lastTime = meta.timestamp }
            if meta.timestamp < record.firstTime { record.firstTime = meta.timestamp }
            if protocols.contains(.turnChannel) || (protocols.contains(.stun) && analysis.stun?.attributes.data != nil)
            {
                record.turnFramedPackets &+= 1
                record.firstTURNFrame = record.firstTURNFrame ?? meta.frame
            }
            if let rtp = analysis.rtp {
                record.streams.insert(rtp.ssrc)
                record.payloadTypes.insert(rtp.payloadType)
            }
            if record.dtlsFrame == nil { record.dtlsFrame = dtlsFrame }
            if record.tunnel == nil, let tunnel {
                record.tunnel = tunnel
                record.tunnelFrame = meta.frame
            }
        }
    }

    static func update<T, R>(_ value: inout T, _ body: (inout T) -> R) -> R { body(&value) }

    /// The VPN-like tunnel a decoded inner packet came through, outermost first.
    static func enclosingTunnel(_ layers: LayerTrail) -> ProtocolName? {
        for i in 0..<layers.count {
            switch layers[i] {
            case .gre: return layers.contains(.ppp) ? .pptp : .gre
            case .l2tp, .sstp, .iphttps, .esp, .openvpn, .wireguard, .pptp: return layers[i]
            default: continue
            }
        }
        return nil
    }

    // MARK: tunnels

    private mutating func noteTunnel(
        _ kind: ProtocolName,
        _ meta: PacketMeta,
        _ segment: TransportSegment,
        _ analysis: PacketAnalysis,
        _ key: FlowKey,
        _ slot: Int
    ) {
        let row = countTunnelPacket(kind, meta, from: segment.source, to: segment.destination, key, slot)
        Self.update(&tunnelRecords[row]) { record in
            if record.serverName == nil, let hello = analysis.tlsHello, hello.isClientHello,
                let range = hello.serverName,
                case .payload(let offset) = analysis.tlsHelloLocation
            {
                record.serverName = Self.text(segment.payload, range, offset: offset)
            }
            if record.kind == .tls, segment.source == record.client, record.clientRecords.count < 8,
                let first = segment.payload.first, first == 23
            {
                record.clientRecords.append((meta.frame, segment.payload.count))
                if let (request, connect) = record.sstpSetup() {
                    record.kind = .sstp
                    record.evidenceFrame = request
                    record.evidence =
                        "the client's first encrypted records (frames \(request), \(connect)) hold an HTTP "
                        + "request and then a 14-byte message, the sizes of SSTP_DUPLEX_POST and CALL_CONNECT_REQUEST (MS-SSTP)"
                }
            }
        }
        if tunnelRecords[row].kind != .tls { serverClients.insert(tunnelRecords[row].client.address) }
    }

    /// Counts one packet in a flow's tunnel record, made on first sight; returns the record's row.
    private mutating func countTunnelPacket(
        _ kind: ProtocolName,
        _ meta: PacketMeta,
        from source: Endpoint,
        to destination: Endpoint,
        _ key: FlowKey,
        _ slot: Int,
        ipProtocol: UInt8? = nil
    ) -> Int {
        if slots[slot].tunnel < 0 {
            tunnelRecords.append(
                TunnelFlowRecord(
                    key: key,
                    kind: kind,
                    evidenceFrame: meta.frame,
                    evidence: Self.tunnelEvidence(kind),
                    firstTime: meta.timestamp,
                    lastTime: meta.timestamp,
                    client: source,
                    server: destination,
                    ipProtocol: ipProtocol
                )
            )
            slots[slot].tunnel = tunnelRecords.count - 1
        }
        let row = slots[slot].tunnel
        Self.update(&tunnelRecords[row]) { record in
            if record.kind == .tls && kind != .tls {  // stronger evidence arrived: say what the tunnel is
                record.kind = kind
                record.evidenceFrame = meta.frame
                record.evidence = Self.tunnelEvidence(kind)
            }
            record.count(fromClient: source == record.client, wireLength: meta.wireLength, at: meta.timestamp)
        }
        return row
    }

    static func tunnelEvidence(_ kind: ProtocolName) -> String {
        switch kind {
        case .sstp: "SSTP (MS-SSTP) recognised on this TLS flow"
        case .iphttps: "IP-HTTPS (MS-IPHTTPS) recognised on this TLS flow"
        case .openvpn: "OpenVPN packets"
        case .wireguard: "WireGuard messages"
        case .esp: "IPsec ESP / IKE"
        case .l2tp: "L2TP"
        case .pptp: "PPTP (GRE carrying PPP)"
        case .tls: "TLS flow"
        default: "\(kind.text)"
        }
    }

    /// UTF-8 text of `range` (relative to `offset` within `payload`), if in bounds.
    static func text(_ payload: UnsafeRawBufferPointer, _ range: Range<Int>, offset: Int) -> String? {
        let lower = range.lowerBound &+ offset, upper = range.upperBound &+ offset
        guard lower >= 0, lower <= upper, upper <= payload.count else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: payload[lower..<upper]), as: UTF8.self)
    }
}
