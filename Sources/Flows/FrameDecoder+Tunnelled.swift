import Dissect
import Wire

extension FrameDecoder {
    /// Decodes the packets `analyzer` lifted out of tunnels (IP-HTTPS) in the frame just decoded,
    /// runs each of their segments through the analyzer, and hands it to `body` with its flow's
    /// state: inner media becomes an ordinary flow whose segments carry `tunnelDepth > 0`.
    /// Afterwards `trail` is the last inner packet's protocol stack.
    public mutating func decodeTunnelled(
        by analyzer: inout PacketAnalyzer, frame: Int, time: Timestamp,
        _ body: (TransportSegment, PacketAnalysis, FlowState?) -> Void
    ) {
        guard analyzer.payloads.liftedCount > 0 else { return }
        let lifted = analyzer.payloads.tunnelled
        analyzer.payloads.lifting = false
        defer {
            analyzer.payloads.lifting = true
            analyzer.payloads.liftedCount = 0
            lifted.removeAll()
        }
        for entry in lifted.entries {
            decode(tunnelled: lifted.bytes(of: entry), .ipv6, depth: entry.depth, layers: entry.layers, at: time) { segment in
                let analysis = analyzer.analyze(segment, frame: frame, time: time)
                body(segment, analysis, analyzer.table.state(of: FlowKey(segment.transport, segment.source, segment.destination)))
            }
        }
    }
}
