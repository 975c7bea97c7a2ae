import Dissect
import Flows
import Testing
import Wire

/// TLS record framing across TCP loss and reordering, as tshark 4.0 counts it: early segments
/// inside an open record are held until the gap fills (RFC 9293 §3.10.7.4: "segments with higher
/// beginning sequence numbers … may be held for later processing"); after a real gap, segments
/// are TLS "Continuation Data" until one starts with a record header (RFC 8446 §5.1).
@Suite struct TCPReassemblyTests {
    static let client = Endpoint(address: IPAddress(v4: 0xC0A8_0106), port: 60547)
    static let server = Endpoint(address: IPAddress(v4: 0x3472_583B), port: 443)

    /// A TLS 1.2 record (RFC 5246 §6.2.1): type, version 0x0303, 16-bit length, body.
    static func record(_ type: UInt8, length: Int) -> [UInt8] {
        [type, 0x03, 0x03, UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 0x42, count: length)
    }

    /// Runs server → client segments (relative sequence numbers from 1) after a client hello
    /// record, returning whether each segment was labelled `tls`.
    static func serverSegments(_ segments: [(sequence: UInt32, bytes: [UInt8])]) -> [Bool] {
        var analyzer = PacketAnalyzer()
        func analyze(_ bytes: [UInt8], sequence: UInt32, fromClient: Bool, frame: Int) -> PacketAnalysis {
            let tcp = TCPHeader(
                sourcePort: fromClient ? client.port : server.port, destinationPort: fromClient ? server.port : client.port,
                sequence: sequence, acknowledgment: 0, flags: [.ack, .psh])
            var layers = LayerTrail()
            layers.append(.ipv4)
            layers.append(.tcp)
            return bytes.withUnsafeBytes { raw in
                analyzer.analyze(
                    TransportSegment(
                        transport: .tcp, source: fromClient ? client : server, destination: fromClient ? server : client,
                        payload: raw, tcp: tcp, tunnelDepth: 0, reassembled: false, layers: layers),
                    frame: frame, time: Timestamp(nanoseconds: 0))
            }
        }
        _ = analyze(record(22, length: 40), sequence: 1, fromClient: true, frame: 1)
        _ = analyze([], sequence: 0, fromClient: false, frame: 2)  // the server's first sequence number
        return segments.enumerated().map { index, segment in
            analyze(segment.bytes, sequence: segment.sequence, fromClient: false, frame: index + 3).protocols.contains(.tls)
        }
    }

    @Test func aReorderedSegmentInsideARecordIsHeldAndTheRecordEndsWhereTheGapFills() {
        let stream = Self.record(22, length: 2000) + Self.record(23, length: 100)
        let first = Array(stream[0..<800]), second = Array(stream[800..<1600]), third = Array(stream[1600...])
        // first, then third (early: held), then second fills the gap and completes both records.
        let labels = Self.serverSegments([(0, first), (1600, third), (800, second)])
        #expect(labels == [true, false, true])
    }

    @Test func afterARealGapSegmentsAreContinuationDataUntilARecordStarts() {
        let lost = Self.record(23, length: 300)
        let afterLoss = Self.record(23, length: 500)
        let next = Self.record(23, length: 60)
        let labels = Self.serverSegments([
            (0, Self.record(23, length: 20)), (25 + UInt32(lost.count) + 100, Array(afterLoss[100...])),
            (25 + UInt32(lost.count + afterLoss.count), next),
        ])
        #expect(labels == [true, true, true])
    }

    @Test func aRetransmissionIsNotCountedAgain() {
        let data = Self.record(23, length: 50)
        #expect(Self.serverSegments([(0, data), (0, data)]) == [true, false])
    }

    /// An SSL 2.0-format ClientHello (RFC 5246 Appendix E.2): 0x80|length 70, type 1, version
    /// 0x0301, 45 bytes of cipher specs (15 suites), no session id, a 16-byte challenge.
    static let sslv2Hello: [UInt8] =
        [0x80, 0x46, 0x01, 0x03, 0x01, 0x00, 0x2D, 0x00, 0x00, 0x00, 0x10]
        + [UInt8](repeating: 0x0A, count: 45) + [UInt8](repeating: 0x77, count: 16)

    @Test func anSSLv2FormatClientHelloIsTLS() {
        #expect(Self.sslv2Hello.withUnsafeBytes { SSLv2ClientHello.probe($0) })
        var wrongLength = Self.sslv2Hello
        wrongLength[1] = 0x47
        #expect(!wrongLength.withUnsafeBytes { SSLv2ClientHello.probe($0) })
        #expect(!([0x80, 0x46, 0x01] as [UInt8]).withUnsafeBytes { SSLv2ClientHello.probe($0) })
    }

    @Test func anEmptyHandshakeRecordDoesNotStartTLS() {
        // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types".
        #expect(!([0x16, 0x03, 0x01, 0x00, 0x00] as [UInt8]).withUnsafeBytes { TLSRecordHeader.probe($0) })
        #expect(([0x17, 0x03, 0x03, 0x00, 0x00] as [UInt8]).withUnsafeBytes { TLSRecordHeader.probe($0) })
    }
}
