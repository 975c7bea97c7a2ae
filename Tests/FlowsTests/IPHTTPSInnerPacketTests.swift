import Dissect
import Flows
import Testing
import Wire

/// IP-HTTPS with a NULL cipher (issue 7): the IPv6 packets in the application-data records are
/// lifted out, decoded and analyzed as ordinary flows one tunnel level down.
@Suite struct IPHTTPSInnerPacketTests {
    static let client = Endpoint(address: IPAddress(v4: 0xC0A8_B25B), port: 50000)
    static let server = Endpoint(address: IPAddress(v4: 0xCB00_710D), port: 443)
    static let inner = (
        source: IPAddress(v6High: 0x2001_0db8_0000_0000, low: 1),
        destination: IPAddress(v6High: 0x2001_0db8_0000_0000, low: 2)
    )
    static let macLength = 32  // TLS_RSA_WITH_NULL_SHA256

    static func record(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, 0x03, 0x03, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    /// ServerHello choosing TLS_RSA_WITH_NULL_SHA256 (0x003B), no extensions.
    static var serverHello: [UInt8] {
        let hello: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0x5A, count: 32) + [0x00, 0x00, 0x3B, 0x00]
        return record(22, [0x02, 0x00, 0x00, UInt8(hello.count)] + hello)
    }

    /// An application-data record: plaintext, then the record MAC.
    static func applicationData(_ plaintext: [UInt8]) -> [UInt8] {
        record(23, plaintext + [UInt8](repeating: 0xAA, count: macLength))
    }

    /// IPv6 / UDP 5004 → 5006 / RTP (PT 96, SSRC 0x11223344) with 20 payload bytes.
    static func rtpPacket(sequence: UInt16) -> [UInt8] {
        let rtp: [UInt8] = [
            0x80, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x03, 0xC0, 0x11, 0x22, 0x33, 0x44,
        ]
        let udpBody = rtp + [UInt8](repeating: 0, count: 20)
        let udp: [UInt8] = [0x13, 0x8C, 0x13, 0x8E, 0x00, UInt8(8 + udpBody.count), 0, 0] + udpBody
        func bytes(_ value: UInt64) -> [UInt8] {
            (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
        }
        let header: [UInt8] =
            [0x60, 0, 0, 0, 0x00, UInt8(udp.count), 17, 64]
            + bytes(inner.source.high) + bytes(inner.source.low) + bytes(inner.destination.high)
            + bytes(inner.destination.low)
        return header + udp
    }

    struct Observed {
        var outer: [PacketAnalysis] = []
        var inner: [(segment: TransportSegment, analysis: PacketAnalysis, trail: LayerTrail)] = []
    }

    /// Runs the TCP payloads (alternating directions as given) through the analyzer and decodes
    /// what it lifted out, as the pipeline does after each frame.
    static func run(_ payloads: [(fromClient: Bool, bytes: [UInt8])]) -> Observed {
        var analyzer = PacketAnalyzer()
        var decoder = FrameDecoder(link: .rawIP)
        var observed = Observed()
        var sequence = (client: UInt32(1000), server: UInt32(5000))
        for (frame, payload) in payloads.enumerated() {
            let seq = payload.fromClient ? sequence.client : sequence.server
            let tcp = TCPHeader(
                sourcePort: payload.fromClient ? client.port : server.port,
                destinationPort: payload.fromClient ? server.port : client.port,
                sequence: seq,
                acknowledgment: 0,
                flags: [.ack, .psh]
            )
            let layers: LayerTrail = {
                var trail = LayerTrail()
                trail.append(.ipv4)
                trail.append(.tcp)
                return trail
            }()
            payload.bytes.withUnsafeBytes { raw in
                let segment = TransportSegment(
                    transport: .tcp,
                    source: payload.fromClient ? client : server,
                    destination: payload.fromClient ? server : client,
                    payload: raw,
                    tcp: tcp,
                    tunnelDepth: 0,
                    reassembled: false,
                    layers: layers
                )
                observed.outer.append(analyzer.analyze(segment, frame: frame + 1, time: Timestamp(nanoseconds: 0)))
            }
            decoder.decodeTunnelled(by: &analyzer, frame: frame + 1, time: Timestamp(nanoseconds: 0)) {
                segment,
                analysis,
                _ in
                observed.inner.append((segment, analysis, segment.layers))
            }
            if payload.fromClient {
                sequence.client &+= UInt32(payload.bytes.count)
            } else {
                sequence.server &+= UInt32(payload.bytes.count)
            }
        }
        return observed
    }

    static let request = Array("POST /IPHTTPS HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n".utf8)

    @Test func innerIPv6RTPIsDecodedIncludingAPacketSplitAcrossRecords() {
        let first = Self.rtpPacket(sequence: 7)
        let second = Self.rtpPacket(sequence: 8)
        let cut = 30
        let observed = Self.run([
            (false, Self.serverHello),
            (true, Self.applicationData(Self.request)),
            (false, Self.applicationData(Array("HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n".utf8))),
            (true, Self.applicationData(first + second[..<cut])),
            (true, Self.applicationData(Array(second[cut...]))),
        ])
        #expect(observed.outer[1].protocols.contains(.iphttps))
        #expect(observed.outer[4].protocols.contains(.iphttps))
        #expect(observed.outer.allSatisfy { $0.malformed == nil })
        #expect(observed.inner.count == 2)
        for (expected, packet) in zip([UInt16(7), 8], observed.inner) {
            #expect(packet.segment.transport == .udp)
            #expect(packet.segment.tunnelDepth == 1)
            #expect(packet.segment.source == Endpoint(address: Self.inner.source, port: 5004))
            #expect(packet.segment.destination == Endpoint(address: Self.inner.destination, port: 5006))
            #expect(packet.trail.contains(.iphttps) && packet.trail.contains(.tls) && packet.trail.contains(.ipv6))
            #expect(packet.analysis.rtp?.sequence == expected)
            #expect(packet.analysis.rtp?.ssrc == 0x1122_3344)
        }
    }

    @Test func bytesThatAreNotIPv6AreMalformedNotACrash() {
        let observed = Self.run([
            (false, Self.serverHello),
            (true, Self.applicationData(Self.request)),
            (true, Self.applicationData([UInt8](repeating: 0x45, count: 60))),
            (true, Self.applicationData(Self.rtpPacket(sequence: 1))),
        ])
        #expect(observed.outer[2].malformed != nil)
        #expect(observed.inner.isEmpty)
    }

    @Test func withoutTheNullCipherNothingIsLifted() {
        let observed = Self.run([
            (true, Self.applicationData(Self.request)),
            (true, Self.applicationData(Self.rtpPacket(sequence: 1))),
        ])
        #expect(observed.inner.isEmpty)
    }
}
