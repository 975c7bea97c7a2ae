import Dissect
import Testing
import Wire

@Suite struct MediaTests {
    /// RTP (RFC 3550 §5.1) with one CSRC and an RFC 8285 one-byte extension holding two elements
    /// (audio level, ID 1, 1 byte; transport-wide seq, ID 3, 2 bytes), then 4 payload bytes.
    static let rtp: [UInt8] = [
        0x91, 0xEF, 0x12, 0x34, 0x00, 0x00, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF,  // V2 X CC=1, M PT=111
        0x11, 0x22, 0x33, 0x44,  // CSRC
        0xBE, 0xDE, 0x00, 0x02, 0x10, 0x7F, 0x31, 0x00, 0x05, 0x00, 0x00, 0x00,  // extension: 2 words
        0x01, 0x02, 0x03, 0x04,
    ]

    /// RTCP compound (RFC 3550 §6.1): RR with no report blocks, then SDES with one CNAME chunk.
    static let rtcp: [UInt8] = [
        0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2A,  // RR, length 1, SSRC 42
        0x81, 0xCA, 0x00, 0x03, 0x00, 0x00, 0x00, 0x2A, 0x01, 0x02, 0x61, 0x62, 0x00, 0x00, 0x00, 0x00,  // SDES
    ]

    /// TURN ChannelData (RFC 8656 §12.4) on channel 0x4001 with 5 bytes of data, unpadded (UDP).
    static let channelData: [UInt8] = [0x40, 0x01, 0x00, 0x05, 0x80, 0x00, 0x00, 0x01, 0x02]

    @Test func rtpHeaderWithCSRCAndExtension() throws {
        let header = try Self.rtp.withUnsafeBytes { raw in
            var input = ByteCursor(raw)
            return try RTPHeader(parsing: &input)
        }
        #expect(header.marker && header.payloadType == 111 && header.sequence == 0x1234)
        #expect(header.ssrc == 0xDEAD_BEEF && header.csrcCount == 1)
        #expect(header.extensionProfile == 0xBEDE && header.extensionElements == 2)
        #expect(header.headerLength == 28 && header.payloadLength == 4)
    }

    @Test func rtcpCompoundWalksEveryPacket() throws {
        let compound = try Self.rtcp.withUnsafeBytes { raw in
            var input = ByteCursor(raw)
            return try RTCPCompound(parsing: &input)
        }
        #expect(compound.firstType == .receiverReport && compound.packetCount == 2 && !compound.isSRTCP)
        #expect(compound.senderSSRC == 42)
    }

    @Test func channelDataOverUDPAndTCP() throws {
        let udp = try Self.channelData.withUnsafeBytes { raw in
            var input = ByteCursor(raw)
            return try TURNChannelData(parsing: &input, overTCP: false)
        }
        #expect(udp.channel == 0x4001 && udp.data == 4..<9)
        // Over TCP the 3 padding bytes are mandatory (RFC 8656 §12.5): without them it is cut short.
        #expect(throws: DecodeError.self) {
            try Self.channelData.withUnsafeBytes { raw in
                var input = ByteCursor(raw)
                _ = try TURNChannelData(parsing: &input, overTCP: true)
            }
        }
    }

    @Test func firstByteDemultiplexing() {
        #expect(MuxedPayload(firstByte: 0x00, secondByte: 0x01) == .stun)
        #expect(MuxedPayload(firstByte: 22, secondByte: 0xFE) == .dtls)
        #expect(MuxedPayload(firstByte: 0x40, secondByte: 0x00) == .turnChannel)
        #expect(MuxedPayload(firstByte: 0x80, secondByte: 0x60) == .rtpOrRTCP)
        #expect(MuxedPayload(firstByte: 0xFF, secondByte: 0x10) == .msTURNMultiplexed)
        #expect(isRTCPPacketType(200) && !isRTCPPacketType(111))
    }

    @Test func truncationsAndFlipsNeverCrash() {
        // A cut compound either is the RR alone (bytes 0..<8, perhaps with a stray tail shorter
        // than a header) or reads as SRTCP (clear first packet, then bytes that do not parse);
        // nothing else may decode, nothing may trap.
        for length in 0..<Self.rtcp.count {
            Self.rtcp.withUnsafeBytes { raw in
                var input = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[..<length]))
                if let compound = try? RTCPCompound(parsing: &input) {
                    #expect((8..<12).contains(length) || compound.isSRTCP)
                }
            }
        }
        #expect(
            ByteSweeps.truncations(Self.channelData) { (input: inout ByteCursor) throws(DecodeError) in
                _ = try TURNChannelData(parsing: &input, overTCP: false)
            } == 0
        )
        ByteSweeps.flips(Self.rtp) { (input: inout ByteCursor) throws(DecodeError) in _ = try RTPHeader(parsing: &input)
        }
        ByteSweeps.flips(Self.rtcp) { (input: inout ByteCursor) throws(DecodeError) in
            _ = try RTCPCompound(parsing: &input)
        }
    }
}
