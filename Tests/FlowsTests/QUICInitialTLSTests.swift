import Dissect
import Flows
import Testing
import Wire

/// QUIC Initial packets through the analyzer, labelled as tshark 4.0 labels them: a long header of
/// a known version is `quic`; an Initial is `tls` too when it opens and its CRYPTO frames carry the
/// handshake on. The server's Initial opens only with keys from the client's Destination Connection
/// ID, so it needs the client's packet first.
@Suite struct QUICInitialTLSTests {
    static let client = Endpoint(address: IPAddress(v4: 0xC0A8_5801), port: 59369)
    static let server = Endpoint(address: IPAddress(v4: 0xADC2_4965), port: 443)

    struct Label: Equatable {
        var quic: Bool
        var tls: Bool
        var handshakeType: UInt8?
    }

    /// Analyzes `datagrams` (true: from the client) in order on one flow.
    static func labels(_ datagrams: [(fromClient: Bool, bytes: [UInt8])]) -> [Label] {
        var analyzer = PacketAnalyzer()
        return datagrams.enumerated().map { index, datagram in
            let analysis = datagram.bytes.withUnsafeBytes { raw in
                analyzer.analyze(
                    TransportSegment(
                        transport: .udp,
                        source: datagram.fromClient ? client : server,
                        destination: datagram.fromClient ? server : client,
                        payload: raw,
                        tcp: nil,
                        tunnelDepth: 0,
                        reassembled: false
                    ),
                    frame: index + 1,
                    time: Timestamp(nanoseconds: 0)
                )
            }
            return Label(
                quic: analysis.protocols.contains(.quic),
                tls: analysis.protocols.contains(.tls),
                handshakeType: analysis.tlsHandshakeType
            )
        }
    }

    @Test func theClientsAndTheServersHellosAreTLS() {
        let labels = Self.labels([(true, RFC9001.clientInitial), (false, RFC9001.serverInitial)])
        #expect(
            labels == [Label(quic: true, tls: true, handshakeType: 1), Label(quic: true, tls: true, handshakeType: 2)]
        )
    }

    /// The report reads the hello from the analyzer's reassembled bytes, behind a TLS record header.
    @Test func theClientHelloNamesTheServer() throws {
        var analyzer = PacketAnalyzer()
        let analysis = RFC9001.clientInitial.withUnsafeBytes { raw in
            analyzer.analyze(
                TransportSegment(
                    transport: .udp,
                    source: Self.client,
                    destination: Self.server,
                    payload: raw,
                    tcp: nil,
                    tunnelDepth: 0,
                    reassembled: false
                ),
                frame: 1,
                time: Timestamp(nanoseconds: 0)
            )
        }
        #expect(analysis.tlsHelloLocation == .reassembled)
        let hello = try #require(analysis.tlsHello)
        let name = try #require(hello.serverName)
        let bytes = analyzer.reassembledHello.dropFirst(TLSRecordHeader.length)
        #expect(String(decoding: Array(bytes)[name], as: UTF8.self) == "example.com")
        let alpn = try #require(hello.alpn)
        #expect(String(decoding: Array(bytes)[alpn], as: UTF8.self) == "alpn")
    }

    @Test func aServerInitialWithoutTheClientsIsOnlyQUIC() {
        #expect(Self.labels([(false, RFC9001.serverInitial)]) == [Label(quic: true, tls: false)])
    }

    @Test func aRetransmittedHelloIsNotTLSAgain() {
        let labels = Self.labels([(true, RFC9001.clientInitial), (true, RFC9001.clientInitial)])
        #expect(labels.map(\.tls) == [true, false])
    }

    @Test func aDamagedInitialIsOnlyQUIC() {
        var damaged = RFC9001.clientInitial
        damaged[600] ^= 0x40
        #expect(
            Self.labels([(true, damaged), (true, Array(RFC9001.clientInitial[..<1100]))]).map(\.tls) == [false, false]
        )
    }

    @Test func otherLongHeadersAreQUICAndOtherDatagramsAreNot() {
        let handshake: [UInt8] = [0xE0, 0, 0, 0, 1, 0, 0, 4, 1, 2, 3, 4]
        let unknownVersion: [UInt8] = [0xC0, 0x0A, 0x0A, 0x0A, 0x0A, 0, 0, 0, 1, 0]
        let labels = Self.labels([(false, handshake), (true, unknownVersion)])
        #expect(labels == [Label(quic: true, tls: false), Label(quic: false, tls: false)])
    }
}
