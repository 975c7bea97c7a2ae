import Dissect
import Wire

extension FrameDecoder {
    /// Decodes the packets `analyzer` lifted out of tunnels (IP-HTTPS) in the frame just decoded,
    /// runs each of their segments through the analyzer, and hands it to `body` with its flow's
    /// state: inner media becomes an ordinary flow whose segments carry `tunnelDepth > 0`.
    /// Afterwards `trail` is the last inner packet's protocol stack. Returns whether there were any.
    @discardableResult
    public mutating func decodeTunnelled(
        by analyzer: inout PacketAnalyzer,
        frame: Int,
        time: Timestamp,
        _ body: (TransportSegment, PacketAnalysis, FlowState?) -> Void
    ) -> Bool {
        guard analyzer.payloads.liftedCount > 0 else { return false }
        let lifted = analyzer.payloads.tunnelled
        analyzer.payloads.lifting = false
        defer {
            analyzer.payloads.lifting = true
            analyzer.payloads.liftedCount = 0
            lifted.removeAll()
        }
        // One analysis for every lifted segment, so its box is allocated once; moved out of the
        // analyzer while in use, as the analyzer is itself borrowed to fill it.
        var analysis = PacketAnalysis()
        swap(&analysis, &analyzer.liftedAnalysis)
        defer { swap(&analysis, &analyzer.liftedAnalysis) }
        for entry in lifted.entries {
            decode(tunnelled: lifted.bytes(of: entry), .ipv6, depth: entry.depth, layers: entry.layers, at: time) {
                segment in
                analyzer.analyze(segment, frame: frame, time: time, into: &analysis)
                body(
                    segment,
                    analysis,
                    analyzer.table.state(of: FlowKey(segment.transport, segment.source, segment.destination))
                )
            }
        }
        return true
    }
}
