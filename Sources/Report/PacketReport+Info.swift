import Dissect
import Flows
import Wire

extension PacketReport {
    /// The info column (from `info.startColumn()`): the key fields of the innermost recognised
    /// protocols.
    static func describe(_ line: inout PacketLine, into info: inout TextBuffer) {
        // The boxed values' getters are skipped together on the many lines that have none (RTP).
        let boxed = line.analysis.hasBoxedValues
        if boxed { describeRelay(&line, into: &info) }
        if let rtp = line.analysis.rtp {
            // Labels 20 bytes, " Mark" 5, three numbers and a hex word.
            writePart(&info, atMost: 25 &+ 3 &* UncheckedWriter.decimalMost &+ UncheckedWriter.hexMost) { w in
                w.text("PT=")
                w.unsigned(UInt64(rtp.payloadType))
                w.text(" SSRC=")
                w.hex(UInt64(rtp.ssrc), digits: 8)
                w.text(" Seq=")
                w.unsigned(UInt64(rtp.sequence))
                w.text(" Time=")
                w.unsigned(UInt64(rtp.timestamp))
                if rtp.marker { w.text(" Mark") }
            }
        }
        if let rtcp = line.analysis.rtcp {
            separate(&info)
            info.append(rtcp.firstType.name)
            info.append(" SSRC=")
            info.append(hex: UInt64(rtcp.senderSSRC), digits: 8)
            if rtcp.packetCount > 1 {
                info.append(" +")
                info.append(decimal: rtcp.packetCount &- 1)
                info.append(" more")
            }
            if rtcp.isSRTCP { info.append(" (SRTCP)") }
        }
        if boxed, let dtls = line.analysis.dtls {
            describe(dtls, bytes: slice(line.payload, from: line.analysis.dtlsOffset), into: &info)
        }
        if line.analysis.tlsRecords > 0 { describeTLS(&line, into: &info) }
        if boxed { describeSignallingAndTunnels(&line, into: &info) }
        if let type = line.analysis.pptpControlType {
            separate(&info)
            info.append("PPTP control type ")
            info.append(decimal: type)
        }
        if let reason = line.analysis.malformed {
            separate(&info)
            info.append("malformed: ")
            info.append(reason)
        }
        if info.columnIsEmpty { describeTerminal(line.terminal, into: &info) }
    }

    /// STUN and TURN framing: what comes before the media they carry.
    private static func describeRelay(_ line: inout PacketLine, into info: inout TextBuffer) {
        if let stun = line.analysis.stun {
            describe(
                stun,
                bytes: slice(line.payload, from: line.analysis.stunOffset),
                rtt: line.analysis.stunRoundTrip,
                into: &info
            )
        }
        if let channel = line.analysis.channelData {
            writePart(&info, atMost: 12 &+ UncheckedWriter.hexMost &+ 5 &+ UncheckedWriter.decimalMost) { w in
                w.text("ChannelData ")
                w.hex(UInt64(channel.channel), digits: 4)
                w.text(" len=")
                w.decimal(channel.data.count)
            }
        }
        if let muxed = line.analysis.msFrame {
            separate(&info)
            info.append("MS-TURN multiplexed session=")
            info.append(hex: muxed.sessionID, digits: 16)
            info.append(" len=")
            info.append(decimal: muxed.data.count)
        }
    }

    /// SIP/SDP, IPsec, WireGuard and OpenVPN.
    private static func describeSignallingAndTunnels(_ line: inout PacketLine, into info: inout TextBuffer) {
        if let sip = line.analysis.sip {
            let bytes =
                switch line.analysis.sipLocation {
                case .payload(let offset): slice(line.payload, from: offset)
                case .reassembled: line.reassembledSIP
                }
            describe(sip, sdp: line.analysis.sdp, bytes: bytes, into: &info)
        }
        if let esp = line.analysis.esp { describe(esp, into: &info) }
        if let ike = line.analysis.ike {
            separate(&info)
            info.append(ike.majorVersion == 2 ? "IKEv2 " : "IKEv1 ")
            info.append(ike.exchangeName)
            info.append(" SPIi=")
            info.append(hex: ike.initiatorSPI, digits: 16)
        }
        if let wg = line.analysis.wireguard {
            separate(&info)
            info.append(wg.name)
            info.append(wg.type <= 2 ? " sender=" : " receiver=")
            info.append(hex: UInt64(wg.index), digits: 8)
            if let counter = wg.counter {
                info.append(" counter=")
                info.append(decimal: counter)
            }
        }
        if let vpn = line.analysis.openvpn {
            separate(&info)
            info.append(vpn.name)
            if let session = vpn.sessionID {
                info.append(" session=")
                info.append(hex: session, digits: 16)
            }
        }
    }

    static func describe(_ m: STUNMessage, bytes: UnsafeRawBufferPointer, rtt: Int64?, into info: inout TextBuffer) {
        let method = m.methodName
        let messageClass = m.messageClass.name
        // A space, a dialect (10 bytes), " error=" (7) and a code; four endpoints after labels of at
        // most 13 bytes.
        let headMost =
            method.utf8CodeUnitCount &+ messageClass.utf8CodeUnitCount &+ 18 &+ UncheckedWriter.decimalMost
            &+ 4 &* (13 &+ UncheckedWriter.endpointMost)
        writePart(&info, atMost: headMost) { w in
            w.text(method)
            w.byte(0x20)
            w.text(messageClass)
            switch m.dialect {
            case .msTURN: w.text(" (MS-TURN)")
            case .rfc3489: w.text(" (classic)")
            case .rfc5389: break
            }
            if let code = m.attributes.errorCode {
                w.text(" error=")
                w.unsigned(UInt64(code))
            }
            writeEndpoint(" mapped=", m.attributes.xorMappedAddress ?? m.attributes.mappedAddress, &w)
            writeEndpoint(" relayed=", m.attributes.xorRelayedAddress, &w)
            writeEndpoint(" peer=", m.attributes.peerAddress, &w)
            writeEndpoint(" destination=", m.attributes.destinationAddress, &w)
        }
        appendText(" user=", m.attributes.username, bytes, &info)
        // Labels and flags 66 bytes, two numbers and a hex word.
        info.write(atMost: 66 &+ 2 &* UncheckedWriter.decimalMost &+ UncheckedWriter.hexMost) { w in
            if let priority = m.attributes.priority {
                w.text(" priority=")
                w.unsigned(UInt64(priority))
            }
            if m.attributes.useCandidate { w.text(" use-candidate") }
            if m.attributes.iceControlling != nil { w.text(" controlling") }
            if m.attributes.iceControlled != nil { w.text(" controlled") }
            if let lifetime = m.attributes.lifetime {
                w.text(" lifetime=")
                w.unsigned(UInt64(lifetime))
            }
            if let channel = m.attributes.channelNumber {
                w.text(" channel=")
                w.hex(UInt64(channel), digits: 4)
            }
        }
        appendText(" realm=", m.attributes.realm, bytes, &info)
        appendText(" software=", m.attributes.software, bytes, &info)
        // Labels 19 bytes and two numbers.
        info.write(atMost: 19 &+ 2 &* UncheckedWriter.decimalMost) { w in
            if let version = m.attributes.msVersion {
                w.text(" ms-version=")
                w.unsigned(UInt64(version))
            }
            if let rtt {
                w.text(" rtt=")
                w.decimal(rtt / 1000)
                w.text("us")
            }
        }
    }

    static func describe(_ d: DTLSDatagram, bytes: UnsafeRawBufferPointer, into info: inout TextBuffer) {
        separate(&info)
        switch d.version {
        case 0xFEFF: info.append("DTLS 1.0 ")
        case 0xFEFD: info.append("DTLS 1.2 ")
        case 0x0100: info.append("DTLS (Cisco) ")
        default: info.append("DTLS ")
        }
        if let type = d.handshakeType {
            info.append(TLSHandshake.name(type))
        } else {
            info.append(d.firstContentType.name)
        }
        if d.recordCount > 1 {
            info.append(" +")
            info.append(decimal: d.recordCount &- 1)
            info.append(" records")
        }
        if let hello = d.hello {
            if hello.useSRTP { info.append(" use_srtp") }
            appendText(" SNI=", hello.serverName, bytes, &info)
        }
    }

    static func describeTLS(_ line: inout PacketLine, into info: inout TextBuffer) {
        separate(&info)
        if let type = line.analysis.tlsHandshakeType {
            info.append(TLSHandshake.name(type))
        } else if let type = line.analysis.tlsFirstType {
            info.append(type.name)
        }
        if line.analysis.tlsRecords > 1 {
            info.append(" +")
            info.append(decimal: line.analysis.tlsRecords &- 1)
            info.append(" records")
        }
        guard let hello = line.analysis.tlsHello else { return }
        let bytes: UnsafeRawBufferPointer =
            switch line.analysis.tlsHelloLocation {
            case .payload(let offset): slice(line.payload, from: offset)
            case .reassembled: slice(line.reassembledHello, from: TLSRecordHeader.length)
            }
        appendText(" SNI=", hello.serverName, bytes, &info)
        appendText(" ALPN=", hello.alpn, bytes, &info)
        if hello.isClientHello {
            info.append(" suites=")
            info.append(decimal: hello.cipherSuiteCount)
        } else {
            info.append(" suite=")
            info.append(hex: UInt64(hello.cipherSuite), digits: 4)
        }
        if hello.nullCipher { info.append(" NULL-cipher") }
    }

    static func describe(
        _ sip: SIPMessage,
        sdp: SDPSummary?,
        bytes: UnsafeRawBufferPointer,
        into info: inout TextBuffer
    ) {
        separate(&info)
        if let method = sip.method {
            appendText("", method, bytes, &info)
        } else if let code = sip.statusCode {
            info.append("Status ")
            info.append(decimal: code)
        }
        appendText(" Call-ID=", sip.callID, bytes, &info)
        if let sdp {
            info.append(" SDP media=")
            info.append(decimal: sdp.mediaCount)
            info.append(" candidates=")
            info.append(decimal: sdp.candidateCount)
        }
    }

    static func describe(_ esp: ESPHeader, into info: inout TextBuffer) {
        separate(&info)
        info.append("ESP SPI=")
        info.append(hex: UInt64(esp.spi), digits: 8)
        info.append(" seq=")
        info.append(decimal: esp.sequence)
    }

    static func describeTerminal(_ terminal: TerminalPayload?, into info: inout TextBuffer) {
        guard let terminal else { return }
        var input = ByteCursor(terminal.payload)
        switch terminal.protocolNumber {
        case 50:
            if let esp = try? ESPHeader(parsing: &input) { describe(esp, into: &info) } else { info.append("ESP") }
        case 47: info.append("GRE")
        default:
            info.append("IP protocol ")
            info.append(decimal: terminal.protocolNumber)
        }
    }

    static func separate(_ info: inout TextBuffer) {
        if !info.columnIsEmpty { info.append(", ") }
    }

    /// One part of the column, after ", " when it is not the first, written by `body` into room
    /// reserved once for the most it touches (`most`).
    @inline(__always)
    static func writePart(_ info: inout TextBuffer, atMost most: Int, _ body: (inout UncheckedWriter) -> Void) {
        let separated = !info.columnIsEmpty
        info.write(atMost: most &+ 2) { w in
            if separated { w.text(", ") }
            body(&w)
        }
    }

    /// `label` and `endpoint`, if there is one: at most 13 bytes of label and `endpointMost`.
    @inline(__always)
    static func writeEndpoint(_ label: StaticString, _ endpoint: Endpoint?, _ w: inout UncheckedWriter) {
        guard let endpoint else { return }
        w.text(label)
        w.endpoint(endpoint)
    }

    @inline(__always)
    static func appendText(
        _ label: StaticString,
        _ range: Range<Int>?,
        _ bytes: UnsafeRawBufferPointer,
        _ info: inout TextBuffer
    ) {
        guard let range, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        info.append(label)
        info.append(untrusted: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    static func slice(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> UnsafeRawBufferPointer {
        guard offset >= 0, offset <= bytes.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[offset...])
    }
}
