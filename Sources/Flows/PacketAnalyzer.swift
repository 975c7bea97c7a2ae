import Dissect
import Wire

/// Classifies and decodes the payload of every transport segment, keeping per-flow state in a
/// `FlowTable` so a flow's classification stays consistent across its packets (issue 3 item 1).
///
/// Recognition is port-independent first: RFC 7983 first-byte demultiplexing, then each
/// protocol's own shape check (STUN cookie and length, DTLS version, RTP version plus a stable
/// SSRC with sequence continuity). Ports are only hints (IKE 500/4500, L2TP 1701, PPTP 1723,
/// TURN 3478, OpenVPN 1194).
public struct PacketAnalyzer {
    public private(set) var table = FlowTable()
    @usableFromInline var payloads = PayloadAnalyzer()
    public private(set) var malformedPackets = 0
    /// Reused by `decodeTunnelled` for the segments of lifted packets.
    var liftedAnalysis = PacketAnalysis()

    public init() {}

    /// A TLS hello that arrived over several segments, copied for the report of the packet that
    /// completed it (reused between packets).
    public var reassembledHello: [UInt8] { payloads.reassembledHello }
    /// The unmasked SIP-over-WebSocket message the last analysis with `sipLocation == .reassembled`
    /// describes, kept until the next such message (reused between packets).
    public var reassembledSIP: [UInt8] { payloads.reassembledSIP }

    /// Whether the segments analysed since the last `FrameDecoder.decodeTunnelled` lifted packets
    /// out of a tunnel (IP-HTTPS), which that call then decodes. Inlined: checked for every frame.
    @inlinable public var hasLiftedPackets: Bool { payloads.liftedCount > 0 }

    /// Decodes one segment's payload, updating its flow in place.
    public mutating func analyze(_ segment: TransportSegment, frame: Int, time: Timestamp) -> PacketAnalysis {
        var result = PacketAnalysis()
        analyze(segment, frame: frame, time: time, into: &result)
        return result
    }

    /// The same, writing into `result` (reset first): callers reuse one `PacketAnalysis`, whose box
    /// for large decoded values is then allocated once, and the packet report reads it in place.
    public mutating func analyze(
        _ segment: TransportSegment,
        frame: Int,
        time: Timestamp,
        into result: inout PacketAnalysis
    ) {
        let flow = FlowKey.directed(segment.transport, from: segment.source, to: segment.destination)
        analyze(segment, flow: flow, frame: frame, time: time, into: &result)
    }

    /// The same, with the segment's flow key and direction already worked out
    /// (`FlowKey.directed`): `packets` does that on its reading thread.
    public mutating func analyze(
        _ segment: TransportSegment,
        flow: (key: FlowKey, forward: Bool),
        frame: Int,
        time: Timestamp,
        into result: inout PacketAnalysis
    ) {
        result.reset()
        let (key, forward) = flow
        let state = table.flow(for: key, frame: frame)
        state.pointee.countPacket(frame: frame)
        if !segment.reassembled {
            payloads.enclosingDepth = segment.tunnelDepth
            payloads.enclosingLayers = segment.layers
            switch segment.transport {
            case .udp:
                payloads.analyzeDatagram(
                    segment.payload,
                    segment,
                    &state.pointee,
                    key: key,
                    forward: forward,
                    frame: frame,
                    time: time,
                    &result
                )
            case .tcp:
                let tcpRow = Int(state.pointee.tcpRow)
                guard tcpRow >= 0, tcpRow < table.tcpStreams.count else { break }
                if forward {
                    let peer = table.tcpStreams[tcpRow].backward.acknowledgments
                    payloads.analyzeStream(
                        segment,
                        &state.pointee,
                        &table.tcpStreams[tcpRow].forward,
                        peer: peer,
                        frame: frame,
                        time: time,
                        &result
                    )
                } else {
                    let peer = table.tcpStreams[tcpRow].forward.acknowledgments
                    payloads.analyzeStream(
                        segment,
                        &state.pointee,
                        &table.tcpStreams[tcpRow].backward,
                        peer: peer,
                        frame: frame,
                        time: time,
                        &result
                    )
                }
            }
        }
        if result.malformed != nil {
            state.pointee.anomalies &+= 1
            malformedPackets &+= 1
        }
    }

    /// Decodes a segment without touching any flow state: for packets quoted inside ICMP errors,
    /// which are evidence about a flow but not traffic of it. Decoded as the first packet of a new flow.
    public mutating func analyzeQuoted(_ segment: TransportSegment, into result: inout PacketAnalysis) {
        result.reset()
        guard !segment.reassembled else { return }
        let key = FlowKey(segment.transport, segment.source, segment.destination)
        var flow = FlowState(key: key, firstFrame: 0)
        flow.countPacket(frame: 0)
        payloads.quoting = true
        defer { payloads.quoting = false }
        let time = Timestamp(nanoseconds: 0)
        switch segment.transport {
        case .udp:
            payloads.analyzeDatagram(
                segment.payload,
                segment,
                &flow,
                key: key,
                forward: segment.source == key.low,
                frame: 0,
                time: time,
                &result
            )
        case .tcp:
            var direction = TCPDirection()
            let noPeer = TCPAcknowledgments()
            payloads.analyzeStream(segment, &flow, &direction, peer: noPeer, frame: 0, time: time, &result)
        }
    }
}

/// The payload decoders with what they share between flows: open STUN transactions, the last
/// reassembled TLS hello and SIP-over-WebSocket message, and the IPv6 packets lifted out of
/// IP-HTTPS records in this frame.
/// Each call gets the one flow it works on as an `inout` row of the flow table.
@usableFromInline struct PayloadAnalyzer {
    var transactions = STUNTransactions()
    var reassembledHello: [UInt8] = []
    var reassembledSIP: [UInt8] = []
    var quic = QUICHandshakes()
    /// Set while decoding a packet quoted by an ICMP error: no shared state may change.
    var quoting = false
    /// The tunnel depth and layers of the segment being decoded: they enclose any packet lifted out of it.
    var enclosingDepth = 0
    var enclosingLayers = LayerTrail()
    /// IPv6 packets lifted out of this frame's IP-HTTPS records, decoded after the frame.
    let tunnelled = TunnelledPackets()
    /// Off while lifted packets are themselves decoded: one tunnel level is lifted per frame.
    var lifting = true
    /// Packets lifted in this frame: checked per frame without touching the class's storage.
    @usableFromInline var liftedCount = 0

    /// Queues a tunnel's inner packet for decoding after the current frame.
    mutating func lift(_ packet: UnsafeRawBufferPointer, tunnel: ProtocolName) {
        guard lifting, !quoting else { return }
        var layers = enclosingLayers
        layers.appendOnce(.tls)
        layers.append(tunnel)
        tunnelled.append(packet, depth: enclosingDepth &+ 1, layers: layers)
        liftedCount &+= 1
    }

    // MARK: UDP

    mutating func analyzeDatagram(
        _ payload: UnsafeRawBufferPointer,
        _ segment: TransportSegment,
        _ flow: inout FlowState,
        key: FlowKey,
        forward: Bool,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        guard payload.count > 0 else { return }
        let ports = (segment.source.port, segment.destination.port)
        if Self.either(ports, IKEHeader.port) || Self.either(ports, ESPHeader.natTraversalPort) {
            if analyzeIPsec(payload, natTraversal: !Self.either(ports, IKEHeader.port), &flow, frame: frame, &result) {
                return
            }
        }
        if Self.either(ports, L2TP.port), analyzeL2TP(payload, &flow, frame: frame, &result) { return }
        if let tunnel = flow.confirmedProtocol, tunnel == .openvpn {
            analyzeVPN(payload, tunnel, &flow, frame: frame, &result)
            return
        }
        // WireGuard's sizes are its signature, so a confirmed flow still checks each datagram:
        // Tailscale sends its own disco messages ("TS💬") on the same socket pair.
        if flow.confirmedProtocol == .wireguard {
            if WireGuardMessage.hasWireGuardShape(payload) {
                analyzeVPN(payload, .wireguard, &flow, frame: frame, &result)
            }
            return
        }
        analyzeMedia(
            payload,
            ports: ports,
            &flow,
            key: key,
            forward: forward,
            frame: frame,
            time: time,
            depth: 0,
            &result
        )
        if result.protocols.count > 0 { return }
        if WireGuardMessage.probe(payload) {
            analyzeVPN(payload, .wireguard, &flow, frame: frame, &result)
        } else if OpenVPNPacket.probeDatagram(payload, ports: ports) {
            analyzeVPN(payload, .openvpn, &flow, frame: frame, &result)
        } else if SIPMessage.probe(payload) {
            analyzeSIP(payload, stream: false, &flow, frame: frame, &result)
        } else if QUICLongHeader.probe(payload) {
            analyzeQUIC(payload, source: segment.source, key: key, &flow, frame: frame, &result)
        }
    }

    /// TURN ChannelData or an MS-TURN multiplexed frame: the flow is a relay flow, and the relayed
    /// bytes are decoded in turn (RTP inside TURN is RTP).
    mutating func relayed(
        _ payload: UnsafeRawBufferPointer,
        _ data: Range<Int>,
        ports: (UInt16, UInt16),
        _ flow: inout FlowState,
        key: FlowKey,
        forward: Bool,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        result.protocols.append(.turnChannel)
        flow.turnFrame = flow.turnFrame ?? frame
        flow.confirm(.turnChannel, frame: frame)
        if let inner = Self.slice(payload, data) {
            analyzeMedia(
                inner,
                ports: ports,
                &flow,
                key: key,
                forward: forward,
                frame: frame,
                time: time,
                depth: 1,
                &result
            )
        }
    }

    /// STUN, TURN ChannelData, MS-TURN multiplexed frames, DTLS, ZRTP, RTP and RTCP, sorted by the
    /// first byte (RFC 7983). `depth` > 0 for data relayed inside TURN.
    mutating func analyzeMedia(
        _ payload: UnsafeRawBufferPointer,
        ports: (UInt16, UInt16),
        _ flow: inout FlowState,
        key: FlowKey,
        forward: Bool,
        frame: Int,
        time: Timestamp,
        depth: Int,
        _ result: inout PacketAnalysis
    ) {
        switch MuxedPayload(payload) {
        case .stun:
            guard STUN.probe(payload) != nil else { return }
            var input = ByteCursor(payload)
            do throws(DecodeError) {
                let message = try STUNMessage(parsing: &input)
                result.protocols.append(.stun)
                if depth == 0 {
                    result.stun = message
                    noteSTUN(message, &flow, frame: frame, time: time, &result)
                }
                if let data = message.attributes.data, depth == 0,
                    let inner = Self.slice(payload, data)
                {
                    analyzeMedia(
                        inner,
                        ports: ports,
                        &flow,
                        key: key,
                        forward: forward,
                        frame: frame,
                        time: time,
                        depth: 1,
                        &result
                    )
                }
            } catch {
                result.protocols.append(.stun)
                result.malformed = "STUN attributes"
            }
        case .msTURNMultiplexed:
            var input = ByteCursor(payload)
            guard depth == 0, let muxed = try? MSTURNMultiplexedFrame(parsing: &input), input.remaining == 0 else {
                return
            }
            result.msFrame = muxed
            relayed(
                payload,
                muxed.data,
                ports: ports,
                &flow,
                key: key,
                forward: forward,
                frame: frame,
                time: time,
                &result
            )
        case .turnChannel:
            guard depth == 0, flow.stunFrame != nil || Self.isTURNPort(ports) || flow.channels.count > 0 else { return }
            var input = ByteCursor(payload)
            guard let channel = try? TURNChannelData(parsing: &input, overTCP: false) else { return }
            result.channelData = channel
            relayed(
                payload,
                channel.data,
                ports: ports,
                &flow,
                key: key,
                forward: forward,
                frame: frame,
                time: time,
                &result
            )
        case .dtls:
            var input = ByteCursor(payload)
            guard let dtls = try? DTLSDatagram(parsing: &input) else { return }
            result.protocols.append(.dtls)
            if depth == 0 || result.dtls == nil {
                result.dtls = dtls
                result.dtlsOffset = 0
            }
            flow.dtlsFrame = flow.dtlsFrame ?? frame
            if dtls.hello?.useSRTP == true { flow.srtp = true }
            flow.confirm(.dtls, frame: frame)
        case .zrtp:
            let input = ByteCursor(payload)
            guard (try? input.peek(UInt32.self, at: 4)) == 0x5A52_5450 else { return }  // "ZRTP" (RFC 6189 §5)
            result.protocols.append(.zrtp)
        case .rtpOrRTCP:
            analyzeRTP(payload, &flow, key: key, forward: forward, frame: frame, relayed: depth > 0, &result)
        case .other:
            return
        }
    }

    mutating func analyzeRTP(
        _ payload: UnsafeRawBufferPointer,
        _ flow: inout FlowState,
        key: FlowKey,
        forward: Bool,
        frame: Int,
        relayed: Bool,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(payload)
        if let second = try? input.peek(UInt8.self, at: 1), isRTCPPacketType(second) {
            guard let rtcp = try? RTCPCompound(parsing: &input),
                rtcp.startsWithReport || relayed || flow.carriesMedia
            else { return }
            result.rtcp = rtcp
            result.protocols.append(rtcp.isSRTCP ? .srtcp : .rtcp)
            return
        }
        // A flow with a valid stream passed the port hint already: it is not checked per packet.
        guard !flow.rtpRejected, flow.validSSRCs > 0 || !Self.isNonMediaServicePort(key),
            let rtp = try? RTPHeader(parsing: &input)
        else { return }
        // RFC 3550 §5.1 and Wireshark's heuristic: payload types 72–76 collide with RTCP.
        guard !(72...76).contains(rtp.payloadType) else { return }
        let clock = UInt32(truncatingIfNeeded: flow.packets)
        if let slot = flow.streams.slot(ssrc: rtp.ssrc, forward: forward, relayed: relayed) {
            if flow.streams.add(slot: slot, sequence: rtp.sequence, payloadType: rtp.payloadType, clock: clock) {
                flow.validSSRCs &+= 1
                flow.rtpFrame = flow.rtpFrame ?? frame
                flow.confirm(flow.srtp ? .srtp : .rtp, frame: frame)
            }
        } else {
            flow.newSSRCs &+= 1
            // Random bytes look like RTP a quarter of the time, but never keep an SSRC: give up.
            if flow.validSSRCs == 0 && flow.newSSRCs > FlowState.ssrcChurnLimit {
                flow.rtpRejected = true
                return
            }
            let stream = RTPStreamStats(
                ssrc: rtp.ssrc,
                payloadType: rtp.payloadType,
                sequence: rtp.sequence,
                forward: forward,
                relayed: relayed
            )
            flow.streams.insert(stream, clock: clock)
        }
        result.rtp = rtp
        result.protocols.append(flow.srtp || flow.dtlsFrame != nil ? .srtp : .rtp)
    }

    mutating func noteSTUN(
        _ message: STUNMessage,
        _ flow: inout FlowState,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        flow.stunFrame = flow.stunFrame ?? frame
        if message.isTURN { flow.turnFrame = flow.turnFrame ?? frame }
        if message.method == .channelBind, let channel = message.attributes.channelNumber,
            message.messageClass != .error
        {
            flow.channels.insert(channel)
        }
        flow.confirm(.stun, frame: frame)
        guard !quoting else { return }
        switch message.messageClass {
        case .request: transactions.request(message.transactionID, frame: frame, time: time)
        case .success, .error:
            if let request = transactions.response(message.transactionID) {
                result.stunRequestFrame = request.frame
                result.stunRoundTrip = time.nanoseconds &- request.time.nanoseconds
            }
        case .indication: break
        }
    }

    // MARK: VPN tunnels over UDP

    /// IKE on 500, and on 4500 ESP-in-UDP, the non-ESP marker before IKE, or a NAT-keepalive (RFC 3948).
    /// On these ports a header that does not parse is IPsec's, broken: tshark shows it as ISAKMP or ESP.
    mutating func analyzeIPsec(
        _ payload: UnsafeRawBufferPointer,
        natTraversal: Bool,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) -> Bool {
        var input = ByteCursor(payload)
        if natTraversal {
            if payload.count == 1, (try? input.peek(UInt8.self)) == 0xFF { return true }  // NAT-keepalive
            if (try? input.peek(UInt32.self)) != 0 {
                analyzeESP(&input, &flow, frame: frame, &result)
                return true
            }
            try? input.skip(4)
        }
        result.protocols.append(.isakmp)
        do throws(DecodeError) {
            result.ike = try IKEHeader(parsing: &input)
            flow.confirm(.isakmp, frame: frame)
        } catch {
            result.malformed = Self.reason(error, cut: "IKE header cut short")
        }
        return true
    }

    /// ESP in UDP. A reserved SPI (RFC 4303 §2.1) is malformed on a flow keyed by IKE, which never
    /// picks one; a flow that only uses reserved SPIs is a manually keyed SA.
    mutating func analyzeESP(
        _ input: inout ByteCursor,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        result.protocols.append(.esp)
        do throws(DecodeError) {
            let esp = try ESPHeader(parsing: &input)
            result.esp = esp
            if !esp.hasReservedSPI {
                flow.confirm(.esp, frame: frame)
            } else if flow.confirmedProtocol == .esp || flow.confirmedProtocol == .isakmp {
                result.malformed = "ESP SPI reserved"
            }
        } catch {
            result.malformed = Self.reason(error, cut: "ESP header cut short")
        }
    }

    /// L2TPv2 on UDP 1701 (RFC 2661 §3.1). A header cut short is still L2TP, as tshark names it;
    /// another version is not, but on a flow already confirmed as L2TP any other than L2TPv3
    /// (RFC 3931, which shares the port) is a damaged header.
    mutating func analyzeL2TP(
        _ payload: UnsafeRawBufferPointer,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) -> Bool {
        var input = ByteCursor(payload)
        let onL2TPFlow = flow.confirmedProtocol == .l2tp
        do throws(DecodeError) {
            let header = try L2TPHeader(parsing: &input)
            result.protocols.append(.l2tp)
            if header.lacksControlBits { result.malformed = "L2TP control flags" }
            flow.confirm(.l2tp, frame: frame)
        } catch .truncated {
            // Two bytes or more: the version was read, and was 2.
            guard payload.count >= 2 || onL2TPFlow else { return false }
            result.protocols.append(.l2tp)
            result.malformed = "L2TP header cut short"
        } catch {
            guard onL2TPFlow, L2TPHeader.version(of: payload) != 3 else { return false }
            result.malformed = "L2TP version"
        }
        return true
    }

    mutating func analyzeVPN(
        _ payload: UnsafeRawBufferPointer,
        _ tunnel: ProtocolName,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(payload)
        switch tunnel {
        case .wireguard:
            do throws(DecodeError) {
                result.wireguard = try WireGuardMessage(parsing: &input)
                result.protocols.append(.wireguard)
                flow.confirm(.wireguard, frame: frame)
            } catch {
                // tshark shows a message of an unknown type as data.
                if WireGuardMessage.hasKnownType(payload) { result.protocols.append(.wireguard) }
                result.malformed = Self.reason(error, cut: "WireGuard message cut short")
            }
        default:
            result.protocols.append(.openvpn)
            do throws(DecodeError) {
                result.openvpn = try OpenVPNPacket(parsing: &input)
                flow.confirm(.openvpn, frame: frame)
                noteOpenVPNControl(payload, &flow, &result)
            } catch { result.malformed = "OpenVPN" }
        }
    }

    /// TLS in a P_CONTROL_V1 packet (`packet` from its opcode byte), counted as tshark does: on the
    /// packet whose payload ends a control message — Wireshark reassembles payloads of exactly
    /// `OpenVPNControl.fragmentSize` bytes with what follows and hands the rest to TLS. A control
    /// channel whose first payload is not a TLS record (tls-crypt encrypts it) carries no TLS here.
    func noteOpenVPNControl(_ packet: UnsafeRawBufferPointer, _ flow: inout FlowState, _ result: inout PacketAnalysis) {
        guard let range = OpenVPNControl.payload(packet), !range.isEmpty,
            let payload = Self.slice(packet, range)
        else { return }
        if flow.openvpnControlTLS == nil { flow.openvpnControlTLS = TLSRecordHeader.probe(payload) }
        if flow.openvpnControlTLS == true, range.count != OpenVPNControl.fragmentSize {
            result.protocols.appendOnce(.tls)
        }
    }

    mutating func analyzeSIP(
        _ payload: UnsafeRawBufferPointer,
        stream: Bool,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(payload)
        do throws(DecodeError) {
            let sip = try SIPMessage(parsing: &input, stream: stream)
            result.sip = sip
            result.protocols.append(.sip)
            flow.confirm(.sip, frame: frame)
            if sip.hasSDP, sip.body.count > 0, let body = Self.slice(payload, sip.body) {
                result.sdp = SDPSummary(parsing: ByteCursor(body))
                result.protocols.append(.sdp)
            }
        } catch {
            if case .truncated = error, stream {
                result.protocols.append(.sip)  // the rest of the body comes in later segments
            } else {
                result.malformed = "SIP"
                result.protocols.append(.sip)
            }
        }
    }

    // MARK: helpers

    static func either(_ ports: (UInt16, UInt16), _ port: UInt16) -> Bool { ports.0 == port || ports.1 == port }

    /// A decoder's reason for giving up, or `cut` when the bytes ended first.
    static func reason(_ error: DecodeError, cut: StaticString) -> StaticString {
        if case .malformed(_, let reason) = error { return reason }
        return cut
    }

    /// STUN/TURN server ports (RFC 8489 §9, Microsoft's 3478–3481).
    static func isTURNPort(_ ports: (UInt16, UInt16)) -> Bool {
        (3478...3481).contains(ports.0) || (3478...3481).contains(ports.1) || either(ports, 5349)
    }

    /// Well-known services whose datagrams can look like RTP (DNS, DHCP, NTP, NetBIOS, SNMP, mDNS,
    /// SSDP, LLMNR, Dropbox LAN sync): a port hint that keeps the weak RTP heuristic off.
    static func isNonMediaServicePort(_ key: FlowKey) -> Bool {
        func known(_ port: UInt16) -> Bool {
            switch port {
            case 53, 67, 68, 123, 137, 138, 161, 162, 1900, 3702, 5353, 5355, 17500: true
            default: false
            }
        }
        return known(key.lowPort) || known(key.highPort)
    }

    static func slice(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer? {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }
}
