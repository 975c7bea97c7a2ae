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
                sourcePort: fromClient ? client.port : server.port,
                destinationPort: fromClient ? server.port : client.port,
                sequence: sequence,
                acknowledgment: 0,
                flags: [.ack, .psh]
            )
            var layers = LayerTrail()
            layers.append(.ipv4)
            layers.append(.tcp)
            return bytes.withUnsafeBytes { raw in
                analyzer.analyze(
                    TransportSegment(
                        transport: .tcp,
                        source: fromClient ? client : server,
                        destination: fromClient ? server : client,
                        payload: raw,
                        tcp: tcp,
                        tunnelDepth: 0,
                        reassembled: false,
                        layers: layers
                    ),
                    frame: frame,
                    time: Timestamp(nanoseconds: 0)
                )
            }
        }
        _ = analyze(record(22, length: 40), sequence: 1, fromClient: true, frame: 1)
        _ = analyze([], sequence: 0, fromClient: false, frame: 2)  // the server's first sequence number
        return segments.enumerated().map { index, segment in
            analyze(segment.bytes, sequence: segment.sequence, fromClient: false, frame: index + 3).protocols.contains(
                .tls
            )
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

    /// The first bytes of a client direction, one segment each: (labelled `tls`, marked malformed).
    static func clientStream(_ segments: [[UInt8]]) -> [(tls: Bool, malformed: Bool)] {
        var connection = TCPTestConnection()
        var sequence: UInt32 = 1
        return segments.map { bytes in
            defer { sequence &+= UInt32(bytes.count) }
            let analysis = connection.send(
                bytes,
                fromClient: true,
                sequence: sequence,
                acknowledgment: 1,
                milliseconds: 0
            )
            return (analysis.protocols.contains(.tls), analysis.malformed != nil)
        }
    }

    /// A record header with a valid type and version is TLS even with an empty body (Skype's
    /// `16 03 01 00 00` on 443, which tshark shows as malformed TLS); the body is malformed where
    /// RFC 5246 §6.2.1 forbids zero-length fragments, and fine for application data.
    @Test func anEmptyRecordIsTLSAndMalformedUnlessApplicationData() {
        for type: UInt8 in [20, 21, 22] {
            let labels = Self.clientStream([[type, 0x03, 0x01, 0x00, 0x00], Self.record(23, length: 30)])
            #expect(labels.map(\.tls) == [true, true])
            #expect(labels.map(\.malformed) == [true, false])
        }
        let applicationData = Self.clientStream([[0x17, 0x03, 0x03, 0x00, 0x00]])
        #expect(applicationData.map(\.tls) == [true] && applicationData.map(\.malformed) == [false])
    }

    @Test func anEmptyRecordWhoseHeaderIsSplitIsMalformedWhereItEnds() {
        let labels = Self.clientStream([Self.record(23, length: 10) + [0x16, 0x03], [0x01, 0x00, 0x00]])
        #expect(labels.map(\.tls) == [true, true])
        #expect(labels.map(\.malformed) == [false, true])
    }

    @Test func anEmptyRecordWithAnInvalidHeaderIsNotTLS() {
        for header: [UInt8] in [
            [0x16, 0x02, 0x00, 0x00, 0x00], [0x19, 0x03, 0x03, 0x00, 0x00], [0x16, 0x03, 0x07, 0x00, 0x00],
        ] {
            #expect(Self.clientStream([header]).map(\.tls) == [false])
        }
    }
}

/// One TCP connection fed segment by segment with what tshark's sequence analysis reads: sequence
/// and acknowledgment numbers, the window and the capture time. Lifted IP-HTTPS packets are
/// counted as the pipeline decodes them after each frame.
struct TCPTestConnection {
    static let client = TCPReassemblyTests.client
    static let server = TCPReassemblyTests.server
    var analyzer = PacketAnalyzer()
    var decoder = FrameDecoder(link: .rawIP)
    var frame = 0
    var liftedPackets = 0

    mutating func send(
        _ bytes: [UInt8],
        fromClient: Bool,
        sequence: UInt32,
        acknowledgment: UInt32,
        window: UInt16 = 512,
        milliseconds: Int64
    ) -> PacketAnalysis {
        frame += 1
        let time = Timestamp(nanoseconds: milliseconds * 1_000_000)
        let tcp = TCPHeader(
            sourcePort: fromClient ? Self.client.port : Self.server.port,
            destinationPort: fromClient ? Self.server.port : Self.client.port,
            sequence: sequence,
            acknowledgment: acknowledgment,
            flags: bytes.isEmpty ? [.ack] : [.ack, .psh],
            window: window
        )
        var layers = LayerTrail()
        layers.append(.ipv4)
        layers.append(.tcp)
        let analysis = bytes.withUnsafeBytes { raw in
            analyzer.analyze(
                TransportSegment(
                    transport: .tcp,
                    source: fromClient ? Self.client : Self.server,
                    destination: fromClient ? Self.server : Self.client,
                    payload: raw,
                    tcp: tcp,
                    tunnelDepth: 0,
                    reassembled: false,
                    layers: layers
                ),
                frame: frame,
                time: time
            )
        }
        decoder.decodeTunnelled(by: &analyzer, frame: frame, time: time) { _, _, _ in liftedPackets += 1 }
        return analysis
    }
}

/// Fast retransmissions, which tshark 4.0 dissects although they are older than what it delivered
/// (only segments flagged retransmission or out-of-order are held back from the dissectors): two
/// or more duplicate ACKs for the segment's first byte, the last under 20 ms before it.
extension TCPReassemblyTests {
    /// The server's first flight loses its first 1000 bytes (of a 2005-byte handshake record); the
    /// client's hello ACKed byte 1, then `duplicateAcks` more ACKs ask for it (`windows` each), and
    /// `resent` comes `delay` ms after the last one, from `sequence`.
    static func resend(
        _ resent: [UInt8],
        sequence: UInt32 = 1,
        duplicateAcks: Int = 2,
        windows: [UInt16] = [512, 512],
        delay: Int64 = 1
    ) -> PacketAnalysis {
        let flight = record(22, length: 2000)
        var connection = TCPTestConnection()
        _ = connection.send(record(22, length: 40), fromClient: true, sequence: 1, acknowledgment: 1, milliseconds: 0)
        let continuation = connection.send(
            Array(flight[1000...]),
            fromClient: false,
            sequence: 1001,
            acknowledgment: 46,
            milliseconds: 30
        )
        #expect(continuation.protocols.contains(.tls))
        for ack in 0..<duplicateAcks {
            _ = connection.send(
                [],
                fromClient: true,
                sequence: 46,
                acknowledgment: 1,
                window: windows[ack],
                milliseconds: 30
            )
        }
        return connection.send(
            resent,
            fromClient: false,
            sequence: sequence,
            acknowledgment: 46,
            milliseconds: 30 + delay
        )
    }

    static let lostStart = Array(record(22, length: 2000)[..<1000])

    @Test func aFastRetransmissionThatStartsARecordIsTLS() {
        let resent = Self.resend(Self.lostStart)
        #expect(resent.protocols.contains(.tls))
        #expect(resent.tlsRecords == 0)  // the record goes on past this segment
        #expect(resent.malformed == nil)
    }

    @Test func aRetransmissionThatDuplicateAcksDidNotAskForStaysUnlabelled() {
        #expect(!Self.resend(Self.lostStart, duplicateAcks: 1).protocols.contains(.tls))
        #expect(!Self.resend(Self.lostStart, delay: 20).protocols.contains(.tls))
        #expect(!Self.resend(Self.lostStart, windows: [512, 1024]).protocols.contains(.tls))  // a window update
        #expect(!Self.resend(Self.record(23, length: 100), sequence: 501).protocols.contains(.tls))  // another byte
    }

    @Test func aFastRetransmissionWithoutARecordHeaderStaysUnlabelled() {
        #expect(!Self.resend(Array(Self.lostStart[1...])).protocols.contains(.tls))
        #expect(!Self.resend([0x16, 0x02, 0x00, 0x00, 0x00] + Self.lostStart).protocols.contains(.tls))
        #expect(!Self.resend([0x16, 0x03]).protocols.contains(.tls))
    }

    @Test func aFastRetransmissionOfAnEmptyHandshakeRecordIsMalformedTLS() {
        let resent = Self.resend([0x16, 0x03, 0x03, 0x00, 0x00] + Self.record(23, length: 10))
        #expect(resent.protocols.contains(.tls))
        #expect(resent.tlsRecords == 2)
        #expect(resent.malformed != nil)
    }

    /// Records delivered already and sent again: labelled with their count, while the direction's
    /// framing goes on where it was.
    @Test func aFastRetransmissionOfDeliveredRecordsLeavesTheFramingAlone() {
        var connection = TCPTestConnection()
        _ = connection.send(
            Self.record(22, length: 40),
            fromClient: true,
            sequence: 1,
            acknowledgment: 1,
            milliseconds: 0
        )
        let records = Self.record(23, length: 50) + Self.record(23, length: 60)
        #expect(
            connection.send(records, fromClient: false, sequence: 1, acknowledgment: 46, milliseconds: 10).tlsRecords
                == 2
        )
        let next = Self.record(23, length: 300)
        _ = connection.send(Array(next[..<100]), fromClient: false, sequence: 121, acknowledgment: 46, milliseconds: 10)
        for _ in 0..<2 { _ = connection.send([], fromClient: true, sequence: 46, acknowledgment: 1, milliseconds: 11) }
        let resent = connection.send(records, fromClient: false, sequence: 1, acknowledgment: 46, milliseconds: 11)
        #expect(resent.protocols.contains(.tls) && resent.tlsRecords == 2 && resent.tlsFirstType == .applicationData)
        let end = connection.send(
            Array(next[100...]),
            fromClient: false,
            sequence: 221,
            acknowledgment: 46,
            milliseconds: 12
        )
        #expect(end.tlsRecords == 1)
    }

    /// On IP-HTTPS, a fast retransmission of a record must not lift its IPv6 packet a second time.
    @Test func aFastRetransmissionDoesNotLiftIPHTTPSPacketsAgain() {
        typealias IPHTTPS = IPHTTPSInnerPacketTests
        var connection = TCPTestConnection()
        let hello = IPHTTPS.serverHello, request = IPHTTPS.applicationData(IPHTTPS.request)
        let media = IPHTTPS.applicationData(IPHTTPS.rtpPacket(sequence: 1))
        let serverNext = 1 + UInt32(hello.count), mediaStart = 1 + UInt32(request.count)
        _ = connection.send(hello, fromClient: false, sequence: 1, acknowledgment: 1, milliseconds: 0)
        _ = connection.send(request, fromClient: true, sequence: 1, acknowledgment: serverNext, milliseconds: 1)
        #expect(
            connection.send(media, fromClient: true, sequence: mediaStart, acknowledgment: serverNext, milliseconds: 2)
                .protocols.contains(.iphttps)
        )
        #expect(connection.liftedPackets == 1)
        for _ in 0..<3 {  // the first ACK moves the number; the next two are duplicates
            _ = connection.send(
                [],
                fromClient: false,
                sequence: serverNext,
                acknowledgment: mediaStart,
                milliseconds: 3
            )
        }
        let resent = connection.send(
            media,
            fromClient: true,
            sequence: mediaStart,
            acknowledgment: serverNext,
            milliseconds: 3
        )
        #expect(resent.protocols.contains(.tls))
        #expect(connection.liftedPackets == 1)
    }
}
