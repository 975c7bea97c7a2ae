import Dissect
import Testing
import Wire

/// The VPN headers callpath recognises, each built from its specification.
@Suite struct VPNTests {
    func parse<T>(_ bytes: [UInt8], _ body: (inout ByteCursor) throws(DecodeError) -> T) throws -> T {
        try bytes.withUnsafeBytes { (raw) throws in
            var input = ByteCursor(raw)
            return try body(&input)
        }
    }

    /// WireGuard handshake initiation (whitepaper §5.4.2): type 1, three zero bytes, sender index, 148 bytes in all.
    static let wireGuardInitiation: [UInt8] =
        [1, 0, 0, 0, 0x12, 0x34, 0x56, 0x78] + [UInt8](repeating: 0xAA, count: 140)

    @Test func wireGuardInitiation() throws {
        let message = try parse(Self.wireGuardInitiation) { (input) throws(DecodeError) in
            try WireGuardMessage(parsing: &input)
        }
        #expect(message.type == 1 && message.index == 0x7856_3412)  // little-endian on the wire
        Self.wireGuardInitiation.withUnsafeBytes { #expect(WireGuardMessage.probe($0)) }
        // One byte short is not WireGuard: the size is part of the signature.
        Array(Self.wireGuardInitiation.dropLast()).withUnsafeBytes { #expect(!WireGuardMessage.probe($0)) }
    }

    /// OpenVPN P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7, key id 0) with its session id.
    @Test func openVPNClientReset() throws {
        let bytes: [UInt8] = [0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0]
        let packet = try parse(bytes) { (input) throws(DecodeError) in try OpenVPNPacket(parsing: &input) }
        #expect(packet.opcode == 7 && packet.keyID == 0)
        #expect(packet.sessionID == 0x0102_0304_0506_0708)
        #expect(packet.isClientReset)
        bytes.withUnsafeBytes { raw in
            #expect(OpenVPNPacket.probeDatagram(raw, ports: (50000, 1194)))
            #expect(!OpenVPNPacket.probeDatagram(raw, ports: (50000, 3478)))  // one byte is too weak off its port
        }
    }

    /// ESP (RFC 4303 §2): SPI then sequence number.
    @Test func espHeader() throws {
        let header = try parse([0xC0, 0xFF, 0xEE, 0x01, 0, 0, 0, 42, 0xDE, 0xAD]) { (input) throws(DecodeError) in
            try ESPHeader(parsing: &input)
        }
        #expect(header.spi == 0xC0FF_EE01 && header.sequence == 42)
    }

    /// IKEv2 IKE_SA_INIT header (RFC 7296 §3.1): SPIs, next payload, version 2.0, exchange 34, flags, id, length.
    @Test func ikeHeader() throws {
        let bytes: [UInt8] =
            [1, 2, 3, 4, 5, 6, 7, 8] + [UInt8](repeating: 0, count: 8) + [33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28]
        let header = try parse(bytes) { (input) throws(DecodeError) in try IKEHeader(parsing: &input) }
        #expect(header.initiatorSPI == 0x0102_0304_0506_0708)
        #expect(header.majorVersion == 2 && header.exchangeType == 34 && header.length == 28)
    }

    /// SSTP CALL_CONNECT_REQUEST (MS-SSTP §2.2.9): version 1.0, control bit, length 14, type 1,
    /// one attribute ENCAPSULATED_PROTOCOL_ID = PPP.
    @Test func sstpCallConnectRequest() throws {
        let bytes: [UInt8] = [0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x00, 0x01]
        let packet = try parse(bytes) { (input) throws(DecodeError) in try SSTPPacket(parsing: &input) }
        #expect(packet.isControl && packet.length == 14 && packet.messageType == 1)
    }

    // MARK: broken headers (Captures/vpn-tunnels/malformed)

    /// RFC 4303 §2.1: SPI 0 "MUST NOT be sent on the wire"; 1–255 are reserved to IANA, which
    /// IKE never picks but manual keying may.
    @Test func espSPIRules() throws {
        let esp = { (bytes: [UInt8]) throws in
            try self.parse(bytes) { (input) throws(DecodeError) in try ESPHeader(parsing: &input) }
        }
        #expect(throws: DecodeError.malformed(at: 0, reason: "ESP SPI 0")) { try esp([0, 0, 0, 0, 0, 0, 0, 1]) }
        let reserved = try esp([0, 0, 0, 0x25, 0, 0, 0, 57])
        #expect(reserved.spi == 0x25 && reserved.sequence == 57 && reserved.hasReservedSPI)
        let negotiated = try esp([0, 0, 1, 0, 0, 0, 0, 1])
        #expect(negotiated.spi == 256 && !negotiated.hasReservedSPI)
        // Cut 6 bytes in: the sequence number is incomplete.
        #expect(throws: DecodeError.truncated(at: 4, wanted: 4)) { try esp([0xB7, 0xA4, 0x94, 0x98, 0, 0]) }
    }

    typealias B = FrameBuilder
    static let client: UInt32 = 0xCB00_711E  // 203.0.113.30
    static let server: UInt32 = 0xCB00_7114  // 203.0.113.20
    static let other: UInt32 = 0xC633_6407  // 198.51.100.7

    /// Plain ESP (IP protocol 50): SPI, sequence number, then 32 bytes standing for the ciphertext.
    static func esp(_ spi: UInt32, from source: UInt32 = server, to destination: UInt32 = client) -> [UInt8] {
        let esp = B.be32(spi) + B.be32(1) + [UInt8](repeating: 0xA5, count: 32)
        return B.ethernet(0x0800, B.ipv4(source, destination, protocol: 50, esp))
    }

    /// Whether FrameDecoder counted each frame malformed, and each frame's layer trail.
    static func decodeFrames(_ frames: [[UInt8]]) -> [(malformed: Bool, trail: String, segments: Int)] {
        var decoder = FrameDecoder(link: .ethernet)
        return frames.map { frame in
            let before = decoder.counters.malformed
            var segments = 0
            frame.withUnsafeBytes { decoder.decode($0, at: Timestamp(nanoseconds: 0)) { _ in segments += 1 } }
            let names = (0..<decoder.trail.count).map { "\(decoder.trail[$0].text)" }
            return (decoder.counters.malformed > before, names.joined(separator: ":"), segments)
        }
    }

    @Test func plainESPWithAReservedSPIBetweenIKEKeyedHostsIsMalformed() {
        let frames = [
            Self.esp(0xB7A4_9498),  // IKE's SPI
            Self.esp(0x25),  // the same hosts, a reserved SPI: a damaged header
            Self.esp(0x25, from: Self.client, to: Self.server),  // either direction
            Self.esp(0x0A, from: Self.other, to: Self.client),  // other hosts: a manually keyed SA
        ]
        #expect(Self.decodeFrames(frames).map(\.malformed) == [false, true, true, false])
        #expect(Self.decodeFrames(frames).allSatisfy { $0.trail == "eth:ipv4:esp" })
    }

    @Test func plainESPKeyedByHandWithReservedSPIsIsWellFormed() {
        // As zeek's ip6_esp.pcap: SPIs 10–23 from the first packet on, which Linux and tshark accept.
        let frames = [Self.esp(0x0A), Self.esp(0x0B, from: Self.client, to: Self.server), Self.esp(0x14)]
        #expect(Self.decodeFrames(frames).map(\.malformed) == [false, false, false])
    }

    @Test func plainESPCutShortOrWithSPIZeroIsMalformedAndStillESP() {
        let cut = Array(Self.esp(0xB7A4_9498).prefix(14 + 20 + 6))  // 6 bytes into the ESP header
        let results = Self.decodeFrames([cut, Self.esp(0)])
        #expect(results.map(\.malformed) == [true, true])
        #expect(results.map(\.trail) == ["eth:ipv4:esp", "eth:ipv4:esp"])
    }

    /// RFC 7296 §3.1: major version 2 (1 for IKEv1); the length counts the 28-byte header too.
    @Test func ikeHeaderRules() throws {
        // SPIs, next payload 46, version, exchange 37 (INFORMATIONAL), flags, message id 2, length.
        func header(version: UInt8, length: UInt32) -> [UInt8] {
            [1, 2, 3, 4, 5, 6, 7, 8] + [UInt8](repeating: 0, count: 8) + [46, version, 37, 0x20] + B.be32(2)
                + B.be32(length)
        }
        let ike = { (bytes: [UInt8]) throws in
            try self.parse(bytes) { (input) throws(DecodeError) in try IKEHeader(parsing: &input) }
        }
        #expect(try ike(header(version: 0x20, length: 80)).length == 80)
        #expect(try ike(header(version: 0x10, length: 28)).majorVersion == 1)
        let belowHeader = DecodeError.malformed(at: 0, reason: "IKE length below its header")
        #expect(throws: DecodeError.malformed(at: 0, reason: "IKE major version")) {
            try ike(header(version: 0x65, length: 80))
        }
        #expect(throws: belowHeader) { try ike(header(version: 0x20, length: 10)) }
        #expect(throws: belowHeader) { try ike(header(version: 0x20, length: 0)) }
        // Cut 12 bytes in, inside the responder's SPI.
        let cut = Array(header(version: 0x20, length: 80).prefix(12))
        #expect(throws: DecodeError.truncated(at: 8, wanted: 8)) { try ike(cut) }
    }

    /// WireGuard transport data (whitepaper §5.4.6): type 4, reserved zero, receiver, counter, 208 + 16 bytes.
    static let wireGuardData: [UInt8] =
        [4, 0, 0, 0, 0x58, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0xDE, count: 224)

    @Test func wireGuardShapeOnAConfirmedFlow() throws {
        func shape(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { WireGuardMessage.hasWireGuardShape($0) } }
        func knownType(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { WireGuardMessage.hasKnownType($0) } }
        func failure(_ bytes: [UInt8]) -> DecodeError? {
            do {
                _ = try parse(bytes) { (input) throws(DecodeError) in try WireGuardMessage(parsing: &input) }
                return nil
            } catch { return error as? DecodeError }
        }
        #expect(shape(Self.wireGuardData) && failure(Self.wireGuardData) == nil)

        let cut = Array(Self.wireGuardData.prefix(10))
        #expect(shape(cut) && knownType(cut))
        #expect(failure(cut) == .malformed(at: 0, reason: "WireGuard message size"))

        let oneLonger = Self.wireGuardData + [0]  // 241 bytes: not 32 + 16n
        #expect(shape(oneLonger) && failure(oneLonger) == .malformed(at: 0, reason: "WireGuard message size"))

        var reservedSet = Self.wireGuardData
        reservedSet[2] = 0xB3
        #expect(shape(reservedSet) && knownType(reservedSet))
        #expect(failure(reservedSet) == .malformed(at: 0, reason: "WireGuard reserved bytes"))

        var unknownType = Self.wireGuardData
        unknownType[0] = 95
        #expect(shape(unknownType) && !knownType(unknownType))
        #expect(failure(unknownType) == .malformed(at: 0, reason: "WireGuard type"))

        // Tailscale's disco message on the same sockets: "TS💬", then its key and box. Not WireGuard's.
        let disco: [UInt8] = Array("TS💬".utf8) + [UInt8](repeating: 0x11, count: 56)
        #expect(!shape(disco))
        // A known type with a reserved byte set at the wrong size is not WireGuard's shape either.
        #expect(!shape([1, 1, 0, 8] + [UInt8](repeating: 0, count: 16)))
    }

    /// PPTP control message header (RFC 2637 §2.1): length, message type 1, magic cookie, control type.
    static func pptpOutgoingCallRequest(cookie: UInt32) -> [UInt8] {
        B.be16(168) + B.be16(1) + B.be32(cookie) + B.be16(7) + B.be16(0) + [UInt8](repeating: 0, count: 156)
    }

    @Test func pptpMagicCookie() throws {
        let good = Self.pptpOutgoingCallRequest(cookie: 0x1A2B_3C4D)
        let header = try parse(good) { (input) throws(DecodeError) in try PPTPControlHeader(parsing: &input) }
        #expect(header.controlType == 7 && header.hasMagicCookie)
        good.withUnsafeBytes { #expect(PPTPControlHeader.probe($0)) }

        let flipped = Self.pptpOutgoingCallRequest(cookie: 0x3A2B_3C4D)
        let broken = try parse(flipped) { (input) throws(DecodeError) in try PPTPControlHeader(parsing: &input) }
        #expect(broken.controlType == 7 && !broken.hasMagicCookie)
        flipped.withUnsafeBytes { #expect(!PPTPControlHeader.probe($0)) }
    }

    /// Enhanced GRE (RFC 2637 §4.1): K, S and version 1, protocol 0x880B, key = payload length |
    /// call id, sequence number; the payload is PPP (FF 03 0021) carrying IPv4/UDP.
    static func pptpGRE(payloadLength: Int? = nil) -> [UInt8] {
        let media = B.udp(40002, 40000, [UInt8](repeating: 7, count: 172))
        let ppp: [UInt8] = [0xFF, 0x03, 0x00, 0x21] + B.ipv4(0x0A1F_0001, 0x0A1F_0002, protocol: 17, media)
        let key = B.be16(payloadLength ?? ppp.count) + B.be16(0x0C01)
        let gre: [UInt8] = [0x30, 0x01, 0x88, 0x0B] + key + B.be32(215) + ppp
        return B.ethernet(0x0800, B.ipv4(Self.server, Self.client, protocol: 47, gre))
    }

    @Test func greVersion1PayloadLengthMustBeWhatFollowsTheHeader() {
        let good = Self.pptpGRE()
        let pastTheEnd = Self.pptpGRE(payloadLength: 338)
        let results = Self.decodeFrames([good, pastTheEnd])
        #expect(results.map(\.malformed) == [false, true])
        // The packet inside is still decoded, as tshark does.
        #expect(results.map(\.trail) == ["eth:ipv4:gre:ppp:ipv4:udp", "eth:ipv4:gre:ppp:ipv4:udp"])
        #expect(results.map(\.segments) == [1, 1])
        // A capture cut short (snaplen) is compared on the wire: the length still agrees.
        #expect(Self.decodeFrames([Array(good.dropLast(100))]).map(\.malformed) == [false])
    }

    @Test func truncationsAndFlipsNeverCrash() {
        let samples: [[UInt8]] = [
            Self.wireGuardInitiation, [0x38, 1, 2, 3, 4, 5, 6, 7, 8], [0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01],
        ]
        for bytes in samples {
            _ = ByteSweeps.truncations(bytes) { (input) throws(DecodeError) in _ = try WireGuardMessage(parsing: &input)
            }
            _ = ByteSweeps.truncations(bytes) { (input) throws(DecodeError) in _ = try OpenVPNPacket(parsing: &input) }
            _ = ByteSweeps.truncations(bytes) { (input) throws(DecodeError) in _ = try SSTPPacket(parsing: &input) }
            ByteSweeps.flips(bytes, rounds: 300) { (input) throws(DecodeError) in _ = try IKEHeader(parsing: &input) }
        }
        let gre = Array(Self.pptpGRE().dropFirst(14 + 20))
        for bytes in [gre, Self.pptpOutgoingCallRequest(cookie: 0x1A2B_3C4D), Self.wireGuardData] {
            func sweep(_ decode: (inout ByteCursor) throws(DecodeError) -> Void) {
                _ = ByteSweeps.truncations(bytes, decode)
                ByteSweeps.flips(bytes, rounds: 300, decode)
            }
            sweep { (input) throws(DecodeError) in _ = try GRE.decode(&input, wireLength: input.remaining) }
            sweep { (input) throws(DecodeError) in _ = try PPTPControlHeader(parsing: &input) }
            sweep { (input) throws(DecodeError) in _ = try ESPHeader(parsing: &input) }
            sweep { input in _ = WireGuardMessage.hasWireGuardShape(input.rest.bytes) }
        }
        // Every cut of a frame ends decoded or counted, never in a trap.
        for frame in [Self.pptpGRE(), Self.esp(0x25)] {
            for length in 0..<frame.count { _ = Self.decodeFrames([Array(frame.prefix(length))]) }
        }
    }
}
