import Calls
import Capture
import Dissect
import Flows
import Judge
import Wire

/// The one path every packet takes, offline or live: FrameDecoder → PacketAnalyzer → CallTracker,
/// and the judge on demand. Memory grows with flows and calls, not with packets.
public struct CallPipeline {
    public let link: LinkLayer
    var decoder: FrameDecoder
    var analyzer = PacketAnalyzer()
    public private(set) var tracker = CallTracker()
    public private(set) var packets = 0
    public private(set) var first: Timestamp?
    public private(set) var last: Timestamp?
    /// A frame's segments and their analyses wait here until the decoder has returned, so the
    /// tracker also learns the frame's outer TTL. Both arrays keep their capacity and analyses are
    /// reset in place, so this neither allocates nor copies per packet.
    private var pending: [TransportSegment] = []
    private var analyses: [PacketAnalysis] = []

    public init(link: LinkLayer) {
        self.link = link
        decoder = FrameDecoder(link: link)
        pending.reserveCapacity(8)
    }

    public var counters: DecodeCounters { decoder.counters }

    public mutating func process(_ meta: PacketMeta, _ bytes: UnsafeRawBufferPointer) {
        packets &+= 1
        if first == nil { first = meta.timestamp }
        if last.map({ meta.timestamp > $0 }) ?? true { last = meta.timestamp }
        pending.removeAll(keepingCapacity: true)
        decoder.decode(bytes, at: meta.timestamp) { segment in
            if analyses.count <= pending.count { analyses.append(PacketAnalysis()) }
            analyzer.analyze(segment, frame: meta.frame, time: meta.timestamp, into: &analyses[pending.count])
            pending.append(segment)
        }
        let hopLimit = decoder.outerHopLimit
        analyses.withUnsafeBufferPointer { analyses in  // borrowed in place: an analysis is a few hundred bytes
            analyzer.reassembledSIP.withUnsafeBytes { sip in
                for i in pending.indices {
                    tracker.observe(meta, pending[i], analyses[i], hopLimit: hopLimit, reassembledSIP: sip)
                }
            }
        }
        // ESP and GRE carry no UDP/TCP header: the tracker counts them by their hosts. Read before
        // decodeTunnelled, which clears `terminal`.
        if let terminal = decoder.terminal { tracker.observe(meta, terminal, layers: decoder.trail) }
        decoder.decodeTunnelled(by: &analyzer, frame: meta.frame, time: meta.timestamp) { segment, analysis, _ in
            tracker.observe(meta, segment, analysis, hopLimit: hopLimit)
        }
    }

    /// The calls so far, judged.
    public func calls(context: NetworkContext, tunnelInterface: (tunnel: String, reason: String)?) -> [CallVerdict] {
        var facts = tracker
        facts.countFlows(analyzer.table.keys)
        var calls = PathJudge(context: context, tunnelInterface: tunnelInterface).judge(facts)
        // Each stream with its own counts, from the analyzer's per-SSRC sequence tracking on the
        // call's flows: one entry per SSRC and direction (some senders reuse one SSRC both ways).
        for c in calls.indices {
            var streams: [StreamSummary] = []
            var seen = Set<FlowKey>()
            for segment in calls[c].segments {
                let key = FlowKey(segment.transport, segment.local, segment.remote)
                guard seen.insert(key).inserted, let state = analyzer.table.state(of: key) else { continue }
                for i in 0..<state.streams.count where state.streams[i].isValid {
                    let stream = state.streams[i]
                    let fromLocal = (stream.forward ? key.low : key.high) == segment.local
                    streams.append(
                        StreamSummary(
                            ssrc: stream.ssrc,
                            payloadType: stream.payloadType,
                            packets: Int(stream.packets),
                            lost: max(0, stream.lost),
                            direction: fromLocal ? "sent" : "received"
                        )
                    )
                }
            }
            if !streams.isEmpty { calls[c].streams = streams }
        }
        return calls
    }
}

/// Is the capture itself taken on a tunnel interface?
public enum TunnelInterface {
    public static func recognise(link: LinkLayer, interfaceNames: [String]) -> (tunnel: String, reason: String)? {
        if link == .ppp || link == .pppSerial {
            return (
                "ppp",
                "captured on a PPP link (DLT_PPP): every packet went through a PPP tunnel such as SSTP, L2TP or PPTP"
            )
        }
        guard let name = interfaceNames.first(where: { !$0.isEmpty }), interfaceNames.count == 1 else { return nil }
        let prefixes: [(String, String)] = [
            ("ppp", "ppp"), ("tun", "tun"), ("wg", "wireguard"), ("utun", "utun"), ("ipsec", "ipsec"),
            ("iphttps", "iphttps"), ("IPHTTPSInterface", "iphttps"), ("tap", "tap"), ("vpn", "vpn"),
        ]
        for (prefix, tunnel) in prefixes where name.hasPrefix(prefix) {
            return (tunnel, "captured on interface \(name), a tunnel device")
        }
        return nil
    }
}
