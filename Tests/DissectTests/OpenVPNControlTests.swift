import Dissect
import Testing
import Wire

/// Where the TLS bytes of an OpenVPN P_CONTROL_V1 packet start (OpenVPN `ssl_pkt.h`: opcode 4 and
/// key id, session id, tls-auth's HMAC/packet id/time, the ack array, the message packet id).
@Suite struct OpenVPNControlTests {
    static let session: [UInt8] = [0x92, 0xB8, 0xAF, 0x4A, 0x77, 0x7F, 0xC7, 0x42]
    /// The start of a TLS ClientHello record (RFC 8446 §5.1).
    static let tls: [UInt8] = [0x16, 0x03, 0x01, 0x01, 0x00, 0x01]

    func payload(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBytes { raw in OpenVPNControl.payload(raw).map { Array(bytes[$0]) } }
    }

    @Test func withoutTLSAuth() {
        // no acks, message packet id 1
        #expect(payload([0x20] + Self.session + [0x00, 0, 0, 0, 1] + Self.tls) == Self.tls)
        // one ack (packet id 5) with the peer's session id, then message packet id 2
        let acking = [0x20] + Self.session + [0x01, 0, 0, 0, 5] + Self.session + [0, 0, 0, 2] + Self.tls
        #expect(payload(acking) == Self.tls)
    }

    @Test func withTLSAuth() {
        // A 20-byte HMAC (SHA-1), replay packet id 3 and time, no acks, message packet id 1.
        let hmac: [UInt8] = (1...20).map { UInt8(truncatingIfNeeded: $0 &* 37 | 1) }
        let packet =
            [0x20] + Self.session + hmac + [0, 0, 0, 3, 0x5F, 0x00, 0x10, 0x20] + [0x00, 0, 0, 0, 1] + Self.tls
        #expect(payload(packet) == Self.tls)
    }

    @Test func otherOpcodesAndShortPacketsHaveNone() {
        #expect(payload([0x28] + Self.session + [0x01, 0, 0, 0, 5]) == nil)  // P_ACK_V1
        #expect(payload([0x20, 1, 2, 3]) == nil)  // cut in the session id
        #expect(payload([0x20] + Self.session + [0x03, 0, 0, 0, 1]) == nil)  // three acks announced, one there
        #expect(payload([0x20] + Self.session + [0x00, 0, 0, 0, 1]) == [])
        let sample = [0x20] + Self.session + [0x01, 0, 0, 0, 5] + Self.session + [0, 0, 0, 2] + Self.tls
        for length in 0..<sample.count { _ = payload(Array(sample[..<length])) }
    }
}
