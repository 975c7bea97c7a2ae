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
    static let wireGuardInitiation: [UInt8] = [1, 0, 0, 0, 0x12, 0x34, 0x56, 0x78] + [UInt8](repeating: 0xAA, count: 140)

    @Test func wireGuardInitiation() throws {
        let message = try parse(Self.wireGuardInitiation) { (input) throws(DecodeError) in try WireGuardMessage(parsing: &input) }
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
        let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8] + [UInt8](repeating: 0, count: 8) + [33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28]
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

    @Test func truncationsAndFlipsNeverCrash() {
        let samples: [[UInt8]] = [Self.wireGuardInitiation, [0x38, 1, 2, 3, 4, 5, 6, 7, 8], [0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01]]
        for bytes in samples {
            _ = ByteSweeps.truncations(bytes) { (input) throws(DecodeError) in _ = try WireGuardMessage(parsing: &input) }
            _ = ByteSweeps.truncations(bytes) { (input) throws(DecodeError) in _ = try OpenVPNPacket(parsing: &input) }
            _ = ByteSweeps.truncations(bytes) { (input) throws(DecodeError) in _ = try SSTPPacket(parsing: &input) }
            ByteSweeps.flips(bytes, rounds: 300) { (input) throws(DecodeError) in _ = try IKEHeader(parsing: &input) }
        }
    }
}
