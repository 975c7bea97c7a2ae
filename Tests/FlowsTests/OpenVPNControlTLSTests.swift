import Dissect
import Flows
import Testing
import Wire

/// TLS inside OpenVPN control packets, counted as tshark 4.0 does: Wireshark's OpenVPN dissector
/// joins P_CONTROL_V1 payloads of exactly 100 bytes with the next and hands the message to TLS
/// on the packet whose payload has any other size. With tls-crypt the control payload is
/// encrypted: a control channel whose first payload is no TLS record carries no TLS.
@Suite struct OpenVPNControlTLSTests {
    static let client = Endpoint(address: IPAddress(v4: 0xC0A8_014D), port: 51146)
    static let server = Endpoint(address: IPAddress(v4: 0x2E65_E7DA), port: 1194)
    static let session: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]

    /// P_CONTROL_V1 (opcode 4, key id 0), no tls-auth, no acks, message packet id `id`.
    static func control(id: UInt8, _ payload: [UInt8]) -> [UInt8] { [0x20] + session + [0x00, 0, 0, 0, id] + payload }

    static func labels(_ datagrams: [[UInt8]]) -> [Bool] {
        var analyzer = PacketAnalyzer()
        return datagrams.enumerated().map { index, bytes in
            bytes.withUnsafeBytes { raw in
                analyzer.analyze(
                    TransportSegment(
                        transport: .udp,
                        source: client,
                        destination: server,
                        payload: raw,
                        tcp: nil,
                        tunnelDepth: 0,
                        reassembled: false
                    ),
                    frame: index + 1,
                    time: Timestamp(nanoseconds: 0)
                ).protocols.contains(.tls)
            }
        }
    }

    static let reset: [UInt8] = [0x38] + session + [0x00, 0, 0, 0, 0]  // P_CONTROL_HARD_RESET_CLIENT_V2

    @Test func theControlPacketThatEndsATLSMessageIsTLS() {
        // A ClientHello record of 145 bytes: 100 in the first packet, 45 in the second.
        let hello = [0x16, 0x03, 0x01, 0x00, 0x8C] + [UInt8](repeating: 0x01, count: 140)
        let labels = Self.labels([
            Self.reset, Self.control(id: 1, Array(hello[..<100])), Self.control(id: 2, Array(hello[100...])),
            [0x28] + Self.session + [0x01, 0, 0, 0, 1] + Self.session,  // P_ACK_V1
        ])
        #expect(labels == [false, false, true, false])
    }

    @Test func tlsCryptControlPayloadsAreNotTLS() {
        let ciphertext: [UInt8] = (0..<60).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        let labels = Self.labels([Self.reset, Self.control(id: 1, ciphertext), Self.control(id: 2, ciphertext)])
        #expect(labels == [false, false, false])
    }
}
