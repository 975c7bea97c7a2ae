import Dissect
import Wire

extension PayloadAnalyzer {
    /// Data segments a direction may show before its framing is given up as unknown.
    static let framingAttempts = 8

    /// Follows one TCP direction through `TCPDirection` and labels the segment with the PDUs that
    /// end in it — what Wireshark shows for reassembled protocols (the segments before the last
    /// one of a PDU are plain TCP). `peer` is what the other direction acknowledged so far.
    mutating func analyzeStream(
        _ segment: TransportSegment,
        _ flow: inout FlowState,
        _ direction: inout TCPDirection,
        peer: TCPAcknowledgments,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        guard let tcp = segment.tcp else { return }
        let payload = segment.payload
        let ports = (segment.source.port, segment.destination.port)
        let sequence = tcp.sequence
        direction.acknowledgments.note(
            tcp,
            payloadLength: payload.count,
            nextSequence: direction.nextSequence,
            at: time
        )
        switch direction.accept(
            sequence: sequence,
            length: payload.count,
            syn: tcp.flags.contains(.syn),
            payload: payload
        ) {
        case .held: return
        case .duplicate:
            let fastRetransmission = peer.askedForFastRetransmission(of: sequence, at: time)
            if fastRetransmission, direction.framing == .tls, !payload.isEmpty {
                labelRetransmittedRecords(payload, &flow, frame: frame, &result)
            }
        case .afterGap:
            deliver(payload, base: 0, ports: ports, &flow, &direction, frame: frame, time: time, &result)
        case .deliver(let skip):
            guard skip < payload.count else { return }
            deliver(
                UnsafeRawBufferPointer(rebasing: payload[skip...]),
                base: skip,
                ports: ports,
                &flow,
                &direction,
                frame: frame,
                time: time,
                &result
            )
            // Early segments this one joined up with follow on in this frame, where the gap filled.
            var ready = direction.shiftHeld(after: payload.count &- skip)
            while ready > 0 {
                var run: [UInt8] = []
                swap(&run, &direction.held)
                run.withUnsafeBytes { raw in
                    deliver(
                        UnsafeRawBufferPointer(rebasing: raw[..<ready]),
                        base: Self.heldBase,
                        ports: ports,
                        &flow,
                        &direction,
                        frame: frame,
                        time: time,
                        &result
                    )
                }
                swap(&run, &direction.held)
                ready = direction.shiftHeld(after: ready)
            }
        }
    }

    /// A fast retransmission on a TLS direction, which tshark dissects again: labelled by the
    /// records that start in it, read in place. The direction's framing and the flow's plaintext
    /// readers (IP-HTTPS, SSTP, hellos) are left alone, so nothing in these bytes counts twice.
    /// A segment that does not start with a record header stays unlabelled.
    mutating func labelRetransmittedRecords(
        _ bytes: UnsafeRawBufferPointer,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(bytes)
        while let header = try? TLSRecordHeader(parsing: &input) {
            result.protocols.appendOnce(.tls)
            guard let body = try? input.take(header.bodyLength) else { return }  // continues past this segment
            noteTLSRecord(header.contentType, bodyLength: header.bodyLength, &flow, frame: frame, &result)
            if header.contentType == .handshake, result.tlsHandshakeType == nil {
                result.tlsHandshakeType = try? body.peek(UInt8.self)
            }
        }
    }

    /// The `base` of bytes that come from held early segments, not from this frame's payload.
    static let heldBase = -1

    /// Cuts in-order bytes of a direction into PDUs, finding (or re-finding) the framing first.
    mutating func deliver(
        _ bytes: UnsafeRawBufferPointer,
        base: Int,
        ports: (UInt16, UInt16),
        _ flow: inout FlowState,
        _ direction: inout TCPDirection,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        var framing = direction.framing
        defer { direction.framing = framing }
        if framing == .unknown, flow.confirmedProtocol == .tls {
            // The other direction speaks TLS: so does this one, as for tshark's TLS conversation.
            framing = .tls
            direction.framingLost = true
        }
        if framing == .unknown || direction.framingLost, SSLv2ClientHello.probe(bytes) {
            // What follows an SSLv2-format hello is not framed as records yet: tshark shows
            // "Continuation Data" until a record header turns up.
            noteTLSRecord(.handshake, bodyLength: nil, &flow, frame: frame, &result)
            framing = .tls
            direction.framingLost = true
            return
        }
        if framing == .unknown || direction.framingLost {
            let detected = Self.detectFraming(bytes, ports: ports, flow: flow)
            if detected != .unknown {
                framing = detected
                // SIP framed by WebSocket messages after an HTTP Upgrade (RFC 7118), not by Content-Length.
                direction.websocket.opened = detected == .sip && WebSocketHandshake.isSIPUpgrade(bytes)
                direction.resynchronised()
                direction.resetPDU()
            } else if framing == .unknown {
                direction.attempts &+= 1
                if direction.attempts >= Self.framingAttempts { framing = .opaque }
                return
            } else {
                // Framing lost after a gap: wait for a segment that starts a PDU. tshark still
                // hands these TLS bytes to its TLS dissector, which shows "Continuation Data".
                if framing == .tls { result.protocols.appendOnce(.tls) }
                return
            }
        }
        switch framing {
        case .sip where direction.websocket.opened: analyzeWebSocket(bytes, &direction, &flow, frame: frame, &result)
        case .sip: analyzeSIP(bytes, stream: true, &flow, frame: frame, &result)
        case .unknown, .opaque: return
        default: walkPDUs(bytes, base: base, framing, &direction, &flow, frame: frame, time: time, &result)
        }
    }

    /// What the first bytes of a direction (or the first after a gap) say about its framing.
    static func detectFraming(_ bytes: UnsafeRawBufferPointer, ports: (UInt16, UInt16), flow: FlowState)
        -> StreamFraming
    {
        let input = ByteCursor(bytes)
        if TLSRecordHeader.probe(bytes) { return .tls }
        let word0 = try? input.peek(UInt16.self)
        let cookieAt4 = (try? input.peek(UInt32.self, at: 4)) == STUN.magicCookie
        let cookieAt6 = (try? input.peek(UInt32.self, at: 6)) == STUN.magicCookie
        let cookieAt8 = (try? input.peek(UInt32.self, at: 8)) == STUN.magicCookie
        if let word0, word0 & 0xC000 == 0, cookieAt4 { return .turnTCP }
        if cookieAt6 { return .rfc4571 }
        if let word0, word0 == 0x0200 || word0 == 0x0300, cookieAt8 || flow.stunFrame != nil { return .msTURNTCP }
        if either(ports, PPTPControlHeader.port), PPTPControlHeader.probe(bytes) { return .pptp }
        if let word0, (try? input.peek(UInt8.self, at: 2)).map({ $0 == 0x38 || $0 == 0x50 }) == true,
            Int(word0) >= 14, Int(word0) <= 1600
        {
            return .openvpnTCP  // a client hard reset v2/v3 after the 16-bit length
        }
        if let word0, either(ports, OpenVPNPacket.port), word0 > 0 { return .openvpnTCP }
        if SIPMessage.probe(bytes) || WebSocketHandshake.isSIPUpgrade(bytes) { return .sip }
        if let word0, word0 >> 14 == 1, flow.turnFrame != nil { return .turnTCP }  // ChannelData on a TURN flow
        return .unknown
    }

    /// Cuts the new bytes of a segment into PDUs of `framing`, labelling those that end here.
    mutating func walkPDUs(
        _ bytes: UnsafeRawBufferPointer,
        base: Int,
        _ framing: StreamFraming,
        _ direction: inout TCPDirection,
        _ flow: inout FlowState,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(bytes)
        while input.remaining > 0 {
            if direction.pduRemaining > 0 {
                let offsetInRecord = direction.tlsRecordLength &- direction.pduRemaining
                let chunk = input.takeAtMost(direction.pduRemaining)
                direction.pduRemaining &-= chunk.remaining
                if direction.collectingHello {
                    direction.appendHello(chunk.bytes)
                } else if framing == .tls, direction.tlsRecordType == TLSContentType.applicationData.rawValue {
                    readRecordPlaintext(
                        chunk.bytes,
                        at: offsetInRecord,
                        recordLength: direction.tlsRecordLength,
                        &direction,
                        &flow,
                        &result
                    )
                }
                if direction.pduRemaining == 0 {
                    completeSplitPDU(framing, &direction, &flow, frame: frame, &result)
                }
                continue
            }
            let pduStart = input.offset
            let needed = framing.headerLength
            while direction.headerCount < needed, let byte = try? input.read(UInt8.self) {
                direction.header = direction.header << 8 | UInt64(byte)
                direction.headerCount &+= 1
            }
            guard direction.headerCount >= needed else { return }
            guard let total = framing.pduLength(header: direction.header, count: needed, flow: flow),
                total >= needed
            else {
                direction.framingLost = true
                direction.resetPDU()
                result.malformed = "TCP framing"
                return
            }
            let headerInSegment = input.offset &- pduStart == needed
            // Wireshark shows a PDU's protocol in the segment where it starts as well as where it ends.
            if framing == .tls && headerInSegment { result.protocols.appendOnce(.tls) }
            let bodyLength = total &- needed
            if headerInSegment, bodyLength <= input.remaining {
                // The whole PDU lies in this segment: decode it in place.
                let pdu = UnsafeRawBufferPointer(rebasing: bytes[pduStart..<(pduStart &+ total)])
                try? input.skip(bodyLength)
                direction.header = 0
                direction.headerCount = 0
                completePDU(
                    pdu,
                    offset: base < 0 ? base : base &+ pduStart,
                    framing,
                    &direction,
                    &flow,
                    frame: frame,
                    time: time,
                    &result
                )
                continue
            }
            // The PDU continues in later segments.
            direction.pduRemaining = bodyLength
            let recordType = UInt8(truncatingIfNeeded: direction.header >> UInt64((needed &- 1) &* 8))
            if framing == .tls, recordType == 22, headerInSegment {
                direction.collectingHello = true
                direction.appendHello(UnsafeRawBufferPointer(rebasing: bytes[pduStart..<input.offset]))
                direction.appendHello(UnsafeRawBufferPointer(rebasing: bytes[input.offset...]))
                direction.pduRemaining &-= input.remaining
                try? input.skip(input.remaining)
                if direction.pduRemaining == 0 { completeSplitPDU(framing, &direction, &flow, frame: frame, &result) }
                return
            }
            let chunk = input.takeAtMost(bodyLength)
            direction.pduRemaining &-= chunk.remaining
            if framing == .tls, recordType == TLSContentType.applicationData.rawValue {
                readRecordPlaintext(chunk.bytes, at: 0, recordLength: bodyLength, &direction, &flow, &result)
            }
            if direction.pduRemaining == 0 { completeSplitPDU(framing, &direction, &flow, frame: frame, &result) }
        }
    }

    /// A PDU whose bytes were spread over segments: only its header (and a TLS hello) is known.
    mutating func completeSplitPDU(
        _ framing: StreamFraming,
        _ direction: inout TCPDirection,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        let needed = framing.headerLength
        let header = direction.header
        direction.header = 0
        direction.headerCount = 0
        switch framing {
        case .tls:
            let type = TLSContentType(rawValue: UInt8(truncatingIfNeeded: header >> UInt64((needed &- 1) &* 8)))
            noteTLSRecord(type, bodyLength: Int(header & 0xFFFF), &flow, frame: frame, &result)
            if flow.iphttps { result.protocols.appendOnce(.iphttps) }
            if direction.collectingHello {
                reassembledHello.removeAll(keepingCapacity: true)
                reassembledHello.append(contentsOf: direction.hello)
                direction.collectingHello = false
                direction.hello.removeAll(keepingCapacity: true)
                reassembledHello.withUnsafeBytes { raw in
                    var input = ByteCursor(raw)
                    guard (try? input.skip(TLSRecordHeader.length)) != nil,
                        let handshake = try? TLSHandshake(parsing: &input)
                    else { return }
                    noteHandshake(handshake, &flow, &result)
                    result.tlsHelloLocation = .reassembled
                }
            }
        case .rfc4571, .turnTCP, .msTURNTCP:
            // Long STUN/TURN messages or relayed media frames: counted from the header.
            result.protocols.appendOnce(Self.turnTCPName(header: header, framing: framing))
        case .openvpnTCP: result.protocols.appendOnce(.openvpn)
        case .pptp: result.protocols.appendOnce(.pptp)
        case .sip, .unknown, .opaque: break
        }
    }

    /// A PDU wholly inside one segment; `offset` is where it starts in the segment payload.
    mutating func completePDU(
        _ pdu: UnsafeRawBufferPointer,
        offset: Int,
        _ framing: StreamFraming,
        _ direction: inout TCPDirection,
        _ flow: inout FlowState,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(pdu)
        switch framing {
        case .tls:
            guard let header = try? TLSRecordHeader(parsing: &input) else { return }
            noteTLSRecord(header.contentType, bodyLength: header.bodyLength, &flow, frame: frame, &result)
            if header.contentType == .handshake, result.tlsHello == nil,
                let handshake = try? TLSHandshake(parsing: &input)
            {
                noteHandshake(handshake, &flow, &result)
                if offset >= 0 {
                    result.tlsHelloLocation = .payload(offset &+ TLSRecordHeader.length)
                } else {
                    reassembledHello.removeAll(keepingCapacity: true)
                    reassembledHello.append(contentsOf: pdu)
                    result.tlsHelloLocation = .reassembled
                }
            } else if header.contentType == .applicationData, flow.nullCipher {
                let body = input.rest.bytes
                if ByteCursor(body).hasPrefix("SSTP_DUPLEX_POST") { result.protocols.appendOnce(.sstp) }
                readRecordPlaintext(body, at: 0, recordLength: header.bodyLength, &direction, &flow, &result)
            }
            if flow.iphttps { result.protocols.appendOnce(.iphttps) }
        case .rfc4571:
            try? input.skip(2)
            decodeFramedMedia(input.rest.bytes, &flow, frame: frame, time: time, &result)
        case .msTURNTCP:
            try? input.skip(4)
            decodeFramedMedia(input.rest.bytes, &flow, frame: frame, time: time, &result)
        case .turnTCP:
            if let first = try? input.peek(UInt8.self), first >> 6 == 1,
                let channel = try? TURNChannelData(parsing: &input, overTCP: true)
            {
                result.protocols.appendOnce(.turnChannel)
                result.channelData = result.channelData ?? channel
                flow.turnFrame = flow.turnFrame ?? frame
            } else {
                decodeFramedMedia(pdu, &flow, frame: frame, time: time, &result)
            }
        case .openvpnTCP:
            try? input.skip(2)
            let packetBytes = input.rest.bytes
            result.protocols.appendOnce(.openvpn)
            if let packet = try? OpenVPNPacket(parsing: &input) {
                result.openvpn = result.openvpn ?? packet
                flow.confirm(.openvpn, frame: frame)
                noteOpenVPNControl(packetBytes, &flow, &result)
            }
        case .pptp:
            result.protocols.appendOnce(.pptp)
            guard let header = try? PPTPControlHeader(parsing: &input) else { break }
            result.pptpControlType = header.controlType
            // Framing found the message by its length, so a wrong cookie is a damaged header.
            if header.hasMagicCookie {
                flow.confirm(.pptp, frame: frame)
            } else {
                result.malformed = "PPTP magic cookie"
            }
        case .sip, .unknown, .opaque: break
        }
    }

    /// STUN, RTP or RTCP inside RFC 4571 / TURN-TCP / MS-TURN framing.
    mutating func decodeFramedMedia(
        _ bytes: UnsafeRawBufferPointer,
        _ flow: inout FlowState,
        frame: Int,
        time: Timestamp,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(bytes)
        if STUN.probe(bytes) != nil, let message = try? STUNMessage(parsing: &input) {
            result.protocols.appendOnce(.stun)
            if result.stun == nil {
                result.stun = message
                noteSTUN(message, &flow, frame: frame, time: time, &result)
            }
        } else if let first = try? input.peek(UInt8.self), first >> 6 == 2 {
            if let second = try? input.peek(UInt8.self, at: 1), isRTCPPacketType(second) {
                if let rtcp = try? RTCPCompound(parsing: &input) {
                    result.rtcp = result.rtcp ?? rtcp
                    result.protocols.appendOnce(.rtcp)
                }
            } else if let rtp = try? RTPHeader(parsing: &input) {
                result.rtp = result.rtp ?? rtp
                result.protocols.appendOnce(flow.srtp ? .srtp : .rtp)
            }
        }
    }

    /// A record that ended in this segment (`bodyLength` nil when its length is not known, as for
    /// an SSLv2-format hello). A valid header makes it TLS even when its body is forbidden empty.
    mutating func noteTLSRecord(
        _ type: TLSContentType,
        bodyLength: Int?,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        result.protocols.appendOnce(.tls)
        if let bodyLength, TLSRecordHeader.isForbiddenEmpty(type, bodyLength: bodyLength) {
            result.malformed = "TLS record empty"
        }
        if result.tlsRecords == 0 { result.tlsFirstType = type }
        result.tlsRecords &+= 1
        flow.confirm(.tls, frame: frame)
    }

    func noteHandshake(_ handshake: TLSHandshake, _ flow: inout FlowState, _ result: inout PacketAnalysis) {
        result.tlsHandshakeType = result.tlsHandshakeType ?? handshake.messageType
        guard let hello = handshake.hello else { return }
        result.tlsHello = hello
        if !hello.isClientHello, hello.nullCipher {
            flow.nullCipher = true
            flow.nullCipherMACLength = IPHTTPS.macLength(nullCipherSuite: hello.cipherSuite)
        }
    }

    /// Part of an application-data record's body, from `offset` on: on a NULL-cipher flow the
    /// client's first record may open IP-HTTPS; on an IP-HTTPS flow the plaintext (the body
    /// before its MAC) carries IPv6 packets, which are lifted out for decoding.
    mutating func readRecordPlaintext(
        _ chunk: UnsafeRawBufferPointer,
        at offset: Int,
        recordLength: Int,
        _ direction: inout TCPDirection,
        _ flow: inout FlowState,
        _ result: inout PacketAnalysis
    ) {
        guard flow.nullCipher else { return }
        if offset == 0, IPHTTPS.isRequestLine(chunk) { flow.iphttps = true }
        guard flow.iphttps, let macLength = flow.nullCipherMACLength else { return }
        let plaintextEnd = recordLength &- macLength
        let end = Swift.min(chunk.count, Swift.max(0, plaintextEnd &- offset))
        guard end > 0 else { return }
        let plaintext = UnsafeRawBufferPointer(rebasing: chunk[..<end])
        if !direction.iphttps.read(plaintext, { lift($0, tunnel: .iphttps) }) {
            result.malformed = "IP-HTTPS packet boundaries"
        }
    }

    static func turnTCPName(header: UInt64, framing: StreamFraming) -> ProtocolName {
        switch framing {
        case .turnTCP: return header >> 30 & 3 == 1 ? .turnChannel : .stun
        default: return .stun
        }
    }
}

extension StreamFraming {
    /// Bytes needed to know a PDU's length.
    var headerLength: Int {
        switch self {
        case .tls: 5
        case .rfc4571, .openvpnTCP, .pptp: 2
        case .turnTCP, .msTURNTCP: 4
        case .sip, .unknown, .opaque: 1
        }
    }

    /// The whole PDU's size from its header (`count` bytes, big-endian in the low bits of `header`).
    func pduLength(header: UInt64, count: Int, flow: FlowState) -> Int? {
        switch self {
        case .tls:
            let type = UInt8(truncatingIfNeeded: header >> 32)
            let major = UInt8(truncatingIfNeeded: header >> 24)
            let length = Int(header & 0xFFFF)
            guard (20...24).contains(type), major == 3, length <= 18432 else { return nil }
            return 5 &+ length
        case .rfc4571, .openvpnTCP:
            let length = Int(header & 0xFFFF)
            return length > 0 ? 2 &+ length : nil
        case .pptp:
            let length = Int(header & 0xFFFF)
            return length >= 12 ? length : nil
        case .msTURNTCP:
            guard header >> 24 == 2 || header >> 24 == 3 else { return nil }
            return 4 &+ Int(header & 0xFFFF)
        case .turnTCP:
            let first = UInt16(truncatingIfNeeded: header >> 16)
            let length = Int(header & 0xFFFF)
            switch first >> 14 {
            case 0: return 20 &+ length  // STUN: header + attributes
            case 1: return 4 &+ ((length &+ 3) & ~3)  // ChannelData, padded over TCP (RFC 8656 §12.5)
            default: return nil
            }
        case .sip, .unknown, .opaque: return nil
        }
    }
}

extension TCPDirection {
    /// With TLS framing, the record in progress (its header is kept until the record ends): its
    /// content type and body length.
    var tlsRecordType: UInt8 { UInt8(truncatingIfNeeded: header >> 32) }
    var tlsRecordLength: Int { Int(header & 0xFFFF) }

    mutating func appendHello(_ bytes: UnsafeRawBufferPointer) {
        guard hello.count < Self.helloCap else { return }
        hello.append(
            contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<Swift.min(bytes.count, Self.helloCap &- hello.count)])
        )
    }
}

extension LayerTrail {
    /// Appends `name` unless it is already the last one (several PDUs of one kind in one segment).
    mutating func appendOnce(_ name: ProtocolName) {
        if !contains(name) { append(name) }
    }
}
