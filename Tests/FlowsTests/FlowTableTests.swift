import Dissect
import Flows
import Testing
import Wire

/// `FlowTable` keeps its states in its own cache-line-aligned rows (`FlowRows`), which grow as
/// flows appear and are shared between copies of the table until one of them changes.
@Suite struct FlowTableTests {
    /// 1,000 flows (the rows start with room for 256, so they move three times), each sent a
    /// number of RTP packets chosen here: every flow must keep its own count, first frame and
    /// stream, whatever moved.
    @Test func everyFlowKeepsItsStateAcrossGrowth() {
        var analyzer = PacketAnalyzer()
        let flows = 1_000
        var frame = 0
        for round in 0..<5 {
            for flow in 0..<flows where round < Self.packetCount(of: flow) {
                frame += 1
                _ = Self.analyzeRTP(flow: flow, sequence: UInt16(round), frame: frame, with: &analyzer)
            }
        }
        #expect(analyzer.table.count == flows)
        for flow in 0..<flows {
            let state = analyzer.table.state(of: Self.key(of: flow))
            #expect(state?.packets == Self.packetCount(of: flow))
            #expect(state?.firstFrame == flow + 1, "flow \(flow) first appeared in the first round")
            // Two packets in sequence make a stream valid (RFC 3550 A.1 with a minimum of 2).
            #expect((state?.rtpFrame != nil) == (Self.packetCount(of: flow) >= 2))
            #expect(state?.streams.count == 1 && state?.streams[0].ssrc == UInt32(flow))
        }
    }

    /// A copy of an analyzer (a finished scan's result) keeps its flows as they were while the
    /// original goes on.
    @Test func aCopyKeepsItsFlowsWhileTheOriginalChanges() {
        var analyzer = PacketAnalyzer()
        for sequence in 0..<3 {
            _ = Self.analyzeRTP(flow: 7, sequence: UInt16(sequence), frame: sequence + 1, with: &analyzer)
        }
        let snapshot = analyzer
        for sequence in 3..<10 {
            _ = Self.analyzeRTP(flow: 7, sequence: UInt16(sequence), frame: sequence + 1, with: &analyzer)
        }
        _ = Self.analyzeRTP(flow: 8, sequence: 0, frame: 11, with: &analyzer)
        #expect(snapshot.table.state(of: Self.key(of: 7))?.packets == 3)
        #expect(snapshot.table.count == 1)
        #expect(analyzer.table.state(of: Self.key(of: 7))?.packets == 10)
        #expect(analyzer.table.count == 2)
    }

    static func packetCount(of flow: Int) -> Int { flow % 5 + 1 }

    static func endpoints(of flow: Int) -> (Endpoint, Endpoint) {
        (
            Endpoint(address: IPAddress(v4: 0xC0A8_0000 | UInt32(flow)), port: 40_000),
            Endpoint(address: IPAddress(v4: 0xCB00_7100 | UInt32(flow & 0xFF)), port: UInt16(50_000 + flow))
        )
    }

    static func key(of flow: Int) -> FlowKey {
        let (source, destination) = endpoints(of: flow)
        return FlowKey(.udp, source, destination)
    }

    /// One RTP packet (version 2, payload type 111, SSRC = the flow's number) from the flow's
    /// client side.
    static func analyzeRTP(flow: Int, sequence: UInt16, frame: Int, with analyzer: inout PacketAnalyzer)
        -> PacketAnalysis
    {
        var bytes: [UInt8] = [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0, UInt8(sequence & 0xFF)]
        bytes += withUnsafeBytes(of: UInt32(flow).bigEndian, Array.init) + [UInt8](repeating: 0xA5, count: 160)
        let (source, destination) = endpoints(of: flow)
        return bytes.withUnsafeBytes { payload in
            analyzer.analyze(
                TransportSegment(
                    transport: .udp,
                    source: source,
                    destination: destination,
                    payload: payload,
                    tcp: nil,
                    tunnelDepth: 0,
                    reassembled: false
                ),
                frame: frame,
                time: Timestamp(nanoseconds: Int64(frame) * 20_000_000)
            )
        }
    }
}
