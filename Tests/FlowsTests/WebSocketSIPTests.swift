import Dissect
import Flows
import Testing
import Wire

/// SIP over WebSocket (RFC 7118) through the TCP stream analyzer: after the HTTP Upgrade, client
/// frames are masked (RFC 6455 §5.3), frames and their headers split anywhere between segments,
/// and a segment is labelled `sip` (and `sdp`) where a WebSocket message — one SIP message — ends,
/// as tshark counts it.
@Suite struct WebSocketSIPTests {
    static let client = Endpoint(address: IPAddress(v4: 0x0AF3_0064), port: 43380)
    static let server = Endpoint(address: IPAddress(v4: 0x0AF3_008F), port: 8080)

    static let sdp =
        "v=0\r\no=- 1 1 IN IP4 10.243.0.100\r\ns=-\r\nc=IN IP4 10.243.0.100\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
    static let invite = Array(
        ("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks\r\n"
            + "From: <sip:alice@example.com>;tag=asdyka899\r\nTo: <sip:bob@example.com>\r\nCall-ID: asidkj3ss\r\n"
            + "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n" + sdp).utf8
    )
    static let ok = Array(
        "SIP/2.0 200 OK\r\nFrom: <sip:alice@example.com>;tag=asdyka899\r\nTo: <sip:bob@example.com>\r\nCall-ID: asidkj3ss\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            .utf8
    )

    /// A frame (RFC 6455 §5.2) with the 16-bit length, masked with `key` when given.
    static func frame(_ opcode: UInt8, fin: Bool = true, _ payload: [UInt8], key: [UInt8]? = nil) -> [UInt8] {
        var bytes: [UInt8] = [
            (fin ? 0x80 : 0) | opcode, (key == nil ? 0 : 0x80) | 126, UInt8(payload.count >> 8),
            UInt8(payload.count & 0xFF),
        ]
        guard let key else { return bytes + payload }
        bytes += key
        return bytes + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    struct Stream {
        var analyzer = PacketAnalyzer()
        var sequence: [Bool: UInt32] = [true: 1, false: 1]
        var frame = 0

        mutating func send(_ bytes: [UInt8], fromClient: Bool) -> PacketAnalysis {
            frame += 1
            let tcp = TCPHeader(
                sourcePort: fromClient ? client.port : server.port,
                destinationPort: fromClient ? server.port : client.port,
                sequence: sequence[fromClient, default: 1],
                acknowledgment: 0,
                flags: [.ack, .psh]
            )
            sequence[fromClient, default: 1] &+= UInt32(bytes.count)
            let frameNumber = frame
            return bytes.withUnsafeBytes { raw in
                analyzer.analyze(
                    TransportSegment(
                        transport: .tcp,
                        source: fromClient ? client : server,
                        destination: fromClient ? server : client,
                        payload: raw,
                        tcp: tcp,
                        tunnelDepth: 0,
                        reassembled: false
                    ),
                    frame: frameNumber,
                    time: Timestamp(nanoseconds: 0)
                )
            }
        }

        /// The RFC 7118 §4 handshake: the client's GET and the server's 101, both naming `sip`.
        mutating func upgrade() {
            _ = send(
                Array(
                    "GET / HTTP/1.1\r\nHost: proxy.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n"
                        .utf8
                ),
                fromClient: true
            )
            _ = send(
                Array(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
                        .utf8
                ),
                fromClient: false
            )
        }
    }

    @Test func aMaskedInviteSplitOverSegmentsCountsWhereItEnds() throws {
        var stream = Stream()
        stream.upgrade()
        let bytes = Self.frame(1, Self.invite, key: [0x37, 0xFA, 0x21, 0x3D])
        // Cut inside the header (after 3 bytes), then mid-payload.
        let first = stream.send(Array(bytes[..<3]), fromClient: true)
        let second = stream.send(Array(bytes[3..<200]), fromClient: true)
        let third = stream.send(Array(bytes[200...]), fromClient: true)
        #expect(!first.protocols.contains(.sip) && !second.protocols.contains(.sip))
        #expect(third.protocols.contains(.sip) && third.protocols.contains(.sdp))
        #expect(third.malformed == nil)
        // The message is described with its ranges in the analyzer's copy of the unmasked bytes.
        #expect(third.sipLocation == .reassembled)
        #expect(stream.analyzer.reassembledSIP == Self.invite)
        let callID = try #require(third.sip?.callID)
        #expect(String(decoding: stream.analyzer.reassembledSIP[callID], as: UTF8.self) == "asidkj3ss")
        #expect(third.sdp?.mediaCount == 1)
    }

    /// Of two messages ending in one segment, the one with SDP is described, for the call tracker.
    @Test func theMessageWithSDPIsDescribedWhenASegmentEndsTwo() throws {
        var stream = Stream()
        stream.upgrade()
        let result = stream.send(Self.frame(1, Self.ok) + Self.frame(1, Self.invite), fromClient: false)
        #expect(result.protocols.contains(.sip) && result.protocols.contains(.sdp))
        #expect(result.sip?.method != nil && result.sipLocation == .reassembled)
        #expect(stream.analyzer.reassembledSIP == Self.invite)
        let plain = stream.send(Self.frame(1, Self.ok), fromClient: false)
        #expect(plain.sip?.statusCode == 200 && plain.sdp == nil)
        #expect(stream.analyzer.reassembledSIP == Self.ok)
    }

    @Test func aSIPMessageThatDoesNotParseIsMalformedAndNotDescribed() {
        var stream = Stream()
        stream.upgrade()
        let broken = Array("SIP/2.0 2x0 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n".utf8)  // no status code
        let result = stream.send(Self.frame(1, broken), fromClient: false)
        #expect(result.protocols.contains(.sip) && result.malformed != nil)
        #expect(result.sip == nil && result.sipLocation == .payload(0))
    }

    @Test func aFragmentedMessageWithAPingBetweenIsOneSIPMessage() {
        var stream = Stream()
        stream.upgrade()
        // §5.4: text frame without FIN, a ping (control frames may interleave), the continuation with FIN.
        let bytes =
            Self.frame(1, fin: false, Array(Self.ok[..<40])) + [0x89, 0x00] + Self.frame(0, Array(Self.ok[40...]))
        let result = stream.send(bytes, fromClient: false)
        #expect(result.protocols.contains(.sip) && !result.protocols.contains(.sdp))
        // Two messages in one segment still label it once.
        let twice = stream.send(Self.frame(1, Self.ok) + Self.frame(2, Self.ok), fromClient: false)
        #expect(twice.protocols.contains(.sip))
    }

    @Test func aBrokenFrameHeaderIsMalformedAndEndsTheDirection() {
        var stream = Stream()
        stream.upgrade()
        let broken = stream.send([0x83, 0x00], fromClient: false)  // opcode 3 is reserved
        #expect(broken.malformed != nil && !broken.protocols.contains(.sip))
        #expect(!stream.send(Self.frame(1, Self.ok), fromClient: false).protocols.contains(.sip))
    }

    @Test func withoutTheSIPSubprotocolFramesAreNotRead() {
        var stream = Stream()
        _ = stream.send(
            Array("GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: chat\r\n\r\n".utf8),
            fromClient: true
        )
        #expect(!stream.send(Self.frame(1, Self.invite, key: [1, 2, 3, 4]), fromClient: true).protocols.contains(.sip))
    }
}
