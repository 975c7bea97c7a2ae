import Dissect
import Testing
import Wire

@Suite struct STUNTests {
    /// RFC 5769 §2.1: sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME "evtj:h6vY",
    /// MESSAGE-INTEGRITY, FINGERPRINT).
    static let rfc5769Request: [UInt8] = [
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xA4, 0x42, 0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86,
        0xFA, 0x87, 0xDF, 0xAE, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4E, 0x20, 0x74, 0x65, 0x73,
        0x74, 0x20, 0x63, 0x6C, 0x69, 0x65, 0x6E, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6E, 0x00, 0x01, 0xFF,
        0x80, 0x29, 0x00, 0x08, 0x93, 0x2F, 0xF9, 0xB1, 0x51, 0x26, 0x3B, 0x36, 0x00, 0x06, 0x00, 0x09,
        0x65, 0x76, 0x74, 0x6A, 0x3A, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
        0x9A, 0xEA, 0xA7, 0x0C, 0xBF, 0xD8, 0xCB, 0x56, 0x78, 0x1E, 0xF2, 0xB5, 0xB2, 0xD3, 0xF2, 0x49,
        0xC1, 0xB5, 0x71, 0xA2, 0x80, 0x28, 0x00, 0x04, 0xE5, 0x7A, 0x3B, 0xCF,
    ]

    /// RFC 5769 §2.2: sample IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
    static let rfc5769IPv4Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x3C, 0x21, 0x12, 0xA4, 0x42, 0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86,
        0xFA, 0x87, 0xDF, 0xAE, 0x80, 0x22, 0x00, 0x0B, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
        0x74, 0x6F, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xA1, 0x47, 0xE1, 0x12, 0xA6, 0x43,
        0x00, 0x08, 0x00, 0x14, 0x2B, 0x91, 0xF5, 0x99, 0xFD, 0x9E, 0x90, 0xC3, 0x8C, 0x74, 0x89, 0xF9,
        0x2A, 0xF9, 0xBA, 0x53, 0xF0, 0x6B, 0xE7, 0xD7, 0x80, 0x28, 0x00, 0x04, 0xC0, 0x7D, 0x4C, 0x96,
    ]

    /// RFC 5769 §2.3: sample IPv6 response, XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    static let rfc5769IPv6Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xA4, 0x42, 0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86,
        0xFA, 0x87, 0xDF, 0xAE, 0x80, 0x22, 0x00, 0x0B, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
        0x74, 0x6F, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xA1, 0x47, 0x01, 0x13, 0xA9, 0xFA,
        0xA5, 0xD3, 0xF1, 0x79, 0xBC, 0x25, 0xF4, 0xB5, 0xBE, 0xD2, 0xB9, 0xD9, 0x00, 0x08, 0x00, 0x14,
        0xA3, 0x82, 0x95, 0x4E, 0x4B, 0xE6, 0x7B, 0xF1, 0x17, 0x84, 0xC9, 0x7C, 0x82, 0x92, 0xC2, 0x75,
        0xBF, 0xE3, 0xED, 0x41, 0x80, 0x28, 0x00, 0x04, 0xC8, 0xFB, 0x0B, 0x4C,
    ]

    /// TURN Allocate success (RFC 8656 §7.3) built by hand: XOR-RELAYED-ADDRESS 198.51.100.7:49152,
    /// XOR-MAPPED-ADDRESS 203.0.113.5:40000, LIFETIME 600.
    static let allocateSuccess: [UInt8] = {
        let id: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        func xorAddress(_ type: UInt16, _ a: [UInt8], _ port: UInt16) -> [UInt8] {
            let p = port ^ 0x2112
            let cookie: [UInt8] = [0x21, 0x12, 0xA4, 0x42]
            return [UInt8(type >> 8), UInt8(type & 0xFF), 0, 8, 0, 1, UInt8(p >> 8), UInt8(p & 0xFF)]
                + zip(a, cookie).map { $0 ^ $1 }
        }
        let attributes =
            xorAddress(0x0016, [198, 51, 100, 7], 49152) + xorAddress(0x0020, [203, 0, 113, 5], 40000)
            + [0x00, 0x0D, 0x00, 0x04, 0x00, 0x00, 0x02, 0x58]
        return [0x01, 0x03, 0x00, UInt8(attributes.count), 0x21, 0x12, 0xA4, 0x42] + id + attributes
    }()

    static func parse(_ bytes: [UInt8]) throws -> STUNMessage {
        try bytes.withUnsafeBytes { raw in
            var input = ByteCursor(raw)
            return try STUNMessage(parsing: &input)
        }
    }

    @Test func rfc5769RequestDecodes() throws {
        let message = try Self.parse(Self.rfc5769Request)
        #expect(message.method == .binding && message.messageClass == .request && message.dialect == .rfc5389)
        let at = message.attributes
        #expect(at.priority == 0x6E00_01FF)
        #expect(at.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(at.hasMessageIntegrity && at.hasFingerprint)
        let username = try #require(at.username)
        let text = Self.rfc5769Request.withUnsafeBytes { STUNMessage.text(username, in: $0) }
        #expect(text == "evtj:h6vY")
        #expect(Self.rfc5769Request.withUnsafeBytes { STUN.probe($0) } == .rfc5389)
    }

    @Test func rfc5769IPv4ResponseDecodesXorMappedAddress() throws {
        let message = try Self.parse(Self.rfc5769IPv4Response)
        #expect(message.messageClass == .success)
        #expect(message.attributes.xorMappedAddress == Endpoint(address: IPAddress(v4: 0xC000_0201), port: 32853))
    }

    @Test func rfc5769IPv6ResponseDecodesXorMappedAddress() throws {
        let message = try Self.parse(Self.rfc5769IPv6Response)
        let expected = try #require(IPAddress("2001:db8:1234:5678:11:2233:4455:6677"))
        #expect(message.attributes.xorMappedAddress == Endpoint(address: expected, port: 32853))
    }

    @Test func turnAllocateSuccessDecodesRelayedAddress() throws {
        let message = try Self.parse(Self.allocateSuccess)
        #expect(message.method == .allocate && message.isTURN && message.messageClass == .success)
        #expect(message.attributes.xorRelayedAddress == Endpoint(address: IPAddress(v4: 0xC633_6407), port: 49152))
        #expect(message.attributes.xorMappedAddress == Endpoint(address: IPAddress(v4: 0xCB00_7105), port: 40000))
        #expect(message.attributes.lifetime == 600)
    }

    /// MS-TURN §2.2.1: legacy Data Indication 0x0115 with the MAGIC-COOKIE attribute first and a
    /// plain Remote Address (0x0012) — an indication, not an error response.
    @Test func msTURNDataIndicationIsAnIndication() throws {
        let bytes: [UInt8] =
            [0x01, 0x15, 0x00, 0x18] + [UInt8](repeating: 0xAB, count: 16)
            + [0x00, 0x0F, 0x00, 0x04, 0x72, 0xC6, 0x4B, 0xC6]
            + [0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0x3F, 0xCC, 93, 71, 110, 205]
            + [0x00, 0x13, 0x00, 0x00]
        #expect(bytes.withUnsafeBytes { STUN.probe($0) } == .msTURN)
        let message = try Self.parse(bytes)
        #expect(message.dialect == .msTURN && message.messageClass == .indication)
        #expect(message.attributes.peerAddress == Endpoint(address: IPAddress(v4: 0x5D47_6ECD), port: 16332))
    }

    @Test func everyTruncationOfEveryVectorFails() {
        for vector in [Self.rfc5769Request, Self.rfc5769IPv4Response, Self.rfc5769IPv6Response, Self.allocateSuccess] {
            let decoded = ByteSweeps.truncations(vector) { (input: inout ByteCursor) throws(DecodeError) in
                _ = try STUNMessage(parsing: &input)
            }
            #expect(decoded == 0)
        }
    }

    @Test func byteFlipsNeverCrash() {
        ByteSweeps.flips(Self.rfc5769Request) { (input: inout ByteCursor) throws(DecodeError) in
            _ = try STUNMessage(parsing: &input)
        }
    }
}
