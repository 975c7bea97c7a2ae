import Dissect
import Flows
import Wire

extension PacketReport {
    /// The info column (from `info.startColumn()`): the key fields of the innermost recognised
    /// protocols.
    static func describe(_ line: inout PacketLine, into info: inout TextBuffer) {
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
        if let dtls = line.analysis.dtls {
            describe(dtls, bytes: slice(line.payload, from: line.analysis.dtlsOffset), into: &info)
        }
        if line.analysis.tlsRecords > 0 { describeTLS(&line, into: &info) }
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

    static func describe(_ m: STUNMessage, bytes: UnsafeRawBufferPointer, rtt: Int64?, into info: inout TextBuffer) {
        separate(&info)
        info.append(m.methodName)
        info.append(byte: 0x20)
        info.append(m.messageClass.name)
        switch m.dialect {
        case .msTURN: info.append(" (MS-TURN)")
        case .rfc3489: info.append(" (classic)")
        case .rfc5389: break
        }
        let at = m.attributes
        if let code = at.errorCode {
            info.append(" error=")
            info.append(decimal: code)
        }
        appendEndpoint(" mapped=", at.xorMappedAddress ?? at.mappedAddress, &info)
        appendEndpoint(" relayed=", at.xorRelayedAddress, &info)
        appendEndpoint(" peer=", at.peerAddress, &info)
        appendEndpoint(" destination=", at.destinationAddress, &info)
        appendText(" user=", at.username, bytes, &info)
        if let priority = at.priority {
            info.append(" priority=")
            info.append(decimal: priority)
        }
        if at.useCandidate { info.append(" use-candidate") }
        if at.iceControlling != nil { info.append(" controlling") }
        if at.iceControlled != nil { info.append(" controlled") }
        if let lifetime = at.lifetime {
            info.append(" lifetime=")
            info.append(decimal: lifetime)
        }
        if let channel = at.channelNumber {
            info.append(" channel=")
            info.append(hex: UInt64(channel), digits: 4)
        }
        appendText(" realm=", at.realm, bytes, &info)
        appendText(" software=", at.software, bytes, &info)
        if let version = at.msVersion {
            info.append(" ms-version=")
            info.append(decimal: version)
        }
        if let rtt {
            info.append(" rtt=")
            info.append(decimal: rtt / 1000)
            info.append("us")
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

    static func appendEndpoint(_ label: StaticString, _ endpoint: Endpoint?, _ info: inout TextBuffer) {
        guard let endpoint else { return }
        info.append(label)
        info.append(endpoint)
    }

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
