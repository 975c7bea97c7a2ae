import Capture
import Dissect
import Flows
import Report
import Wire

extension OfflineCapture {
    public struct PacketScan {
        public var counters: DecodeCounters
        public var analyzer: PacketAnalyzer
        public var truncation: CaptureError?
    }

    /// Decodes every frame down to its payload protocols and hands one `PacketLine` per frame to
    /// `body`; the line's byte views are valid only during that call. Packets quoted by ICMP errors
    /// are decoded too (as Wireshark does), but they never create or change flow state.
    public func packets(_ body: (PacketLine) -> Void) throws(CaptureError) -> PacketScan {
        var decoder = FrameDecoder(link: link)
        decoder.followsICMPQuotes = true
        var analyzer = PacketAnalyzer()
        var truncation: CaptureError? = nil
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in
                var line = PacketLine(frame: meta.frame, time: meta.timestamp)
                var extra = LayerTrail()
                var quotedApps = LayerTrail()
                decoder.decode(bytes, at: meta.timestamp) { segment in
                    let analysis: PacketAnalysis
                    if segment.insideICMPError {
                        analysis = PacketAnalyzer.peek(segment)
                        for i in 0..<analysis.protocols.count { quotedApps.append(analysis.protocols[i]) }
                        line.malformed = line.malformed || analysis.malformed != nil
                        return
                    }
                    analysis = analyzer.analyze(segment, frame: meta.frame, time: meta.timestamp)
                    for i in 0..<analysis.protocols.count { extra.append(analysis.protocols[i]) }
                    line.source = segment.source.address
                    line.destination = segment.destination.address
                    line.sourcePort = segment.source.port
                    line.destinationPort = segment.destination.port
                    line.transport = segment.transport
                    line.payload = segment.payload
                    line.malformed = line.malformed || analysis.malformed != nil
                    if analysis.protocols.count > 0 || line.analysis == nil { line.analysis = analysis }
                }
                line.protocols = decoder.trail
                for i in 0..<extra.count where !line.protocols.contains(extra[i]) { line.protocols.append(extra[i]) }
                for i in 0..<quotedApps.count where !line.protocols.contains(quotedApps[i]) {
                    line.protocols.append(quotedApps[i])
                }
                if line.source == nil, let terminal = decoder.terminal {
                    line.source = terminal.source
                    line.destination = terminal.destination
                    line.terminal = terminal
                }
                if let hello = line.analysis?.tlsHelloLocation, hello == .reassembled {
                    analyzer.reassembledHello.withUnsafeBytes { raw in
                        line.reassembledHello = raw
                        body(line)
                    }
                } else {
                    body(line)
                }
            }
        } catch {
            guard error.code == .truncated else { throw error }
            truncation = error
        }
        return PacketScan(counters: decoder.counters, analyzer: analyzer, truncation: truncation)
    }
}
