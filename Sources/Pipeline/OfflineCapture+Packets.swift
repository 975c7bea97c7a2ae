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
    /// are decoded too (as Wireshark does), but they never create or change flow state. The line is
    /// lent `inout` so its analysis (a few hundred bytes) is not copied per packet; it is reset for each frame.
    public func packets(_ body: (inout PacketLine) -> Void) throws(CaptureError) -> PacketScan {
        var decoder = FrameDecoder(link: link)
        decoder.followsICMPQuotes = true
        var analyzer = PacketAnalyzer()
        var truncation: CaptureError? = nil
        // Reused for a frame's later segments and for ICMP quotes.
        var scratch = PacketAnalysis()
        var line = PacketLine(frame: 0, time: Timestamp(nanoseconds: 0))
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in
                line.start(frame: meta.frame, time: meta.timestamp)
                var analysed = false
                var extra = LayerTrail()
                var quotedApps = LayerTrail()
                decoder.decode(bytes, at: meta.timestamp) { segment in
                    if segment.insideICMPError {
                        analyzer.analyzeQuoted(segment, into: &scratch)
                        for i in 0..<scratch.protocols.count { quotedApps.append(scratch.protocols[i]) }
                        line.malformed = line.malformed || scratch.malformed != nil
                        return
                    }
                    if analysed {
                        analyzer.analyze(segment, frame: meta.frame, time: meta.timestamp, into: &scratch)
                        Self.adopt(segment, scratch, into: &line, extra: &extra)
                        return
                    }
                    // The first segment's analysis is written straight into the line.
                    analyzer.analyze(segment, frame: meta.frame, time: meta.timestamp, into: &line.analysis)
                    analysed = true
                    line.malformed = line.malformed || line.analysis.malformed != nil
                    line.payload = segment.payload
                    extra = line.analysis.protocols  // empty until now: later segments only add to it
                    Self.noteEndpoints(segment, in: &line)
                }
                // Packets lifted out of tunnels (IP-HTTPS) in this frame; the trail becomes theirs.
                decoder.decodeTunnelled(by: &analyzer, frame: meta.frame, time: meta.timestamp) { segment, analysis, _ in
                    Self.adopt(segment, analysis, into: &line, extra: &extra)
                }
                if !analysed { line.analysis.reset() }
                line.protocols = decoder.trail
                line.protocols.appendMissing(extra)
                line.protocols.appendMissing(quotedApps)
                if line.source == nil, let terminal = decoder.terminal {
                    line.source = terminal.source
                    line.destination = terminal.destination
                    line.terminal = terminal
                }
                if line.analysis.tlsHelloLocation == .reassembled {
                    analyzer.reassembledHello.withUnsafeBytes { raw in
                        line.reassembledHello = raw
                        body(&line)
                    }
                } else {
                    body(&line)
                }
            }
        } catch {
            guard error.code == .truncated else { throw error }
            truncation = error
        }
        return PacketScan(counters: decoder.counters, analyzer: analyzer, truncation: truncation)
    }

    private static func noteEndpoints(_ segment: TransportSegment, in line: inout PacketLine) {
        line.source = segment.source.address
        line.destination = segment.destination.address
        line.sourcePort = segment.source.port
        line.destinationPort = segment.destination.port
        line.transport = segment.transport
    }

    /// A frame's later segments (tunnels) replace the line's analysis when they say more.
    private static func adopt(
        _ segment: TransportSegment, _ analysis: PacketAnalysis, into line: inout PacketLine, extra: inout LayerTrail
    ) {
        line.malformed = line.malformed || analysis.malformed != nil
        if analysis.protocols.count > 0 {
            line.analysis.assign(analysis)
            line.payload = segment.payload
        }
        for i in 0..<analysis.protocols.count { extra.append(analysis.protocols[i]) }
        noteEndpoints(segment, in: &line)
    }
}
