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
    /// A frame's segments wait here until the decoder has returned, so the tracker also learns the
    /// frame's outer TTL; the array keeps its capacity, so this allocates nothing per packet.
    private var pending: [(TransportSegment, PacketAnalysis)] = []

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
            pending.append((segment, analyzer.analyze(segment, frame: meta.frame, time: meta.timestamp)))
        }
        for (segment, analysis) in pending {
            let key = FlowKey(segment.transport, segment.source, segment.destination)
            tracker.observe(meta, segment, analysis, flow: analyzer.table.state(of: key), hopLimit: decoder.outerHopLimit)
        }
        let hopLimit = decoder.outerHopLimit
        decoder.decodeTunnelled(by: &analyzer, frame: meta.frame, time: meta.timestamp) { segment, analysis, flow in
            tracker.observe(meta, segment, analysis, flow: flow, hopLimit: hopLimit)
        }
    }

    /// The calls so far, judged.
    public func calls(context: NetworkContext, tunnelInterface: (tunnel: String, reason: String)?) -> [CallVerdict] {
        PathJudge(context: context, tunnelInterface: tunnelInterface).judge(tracker)
    }
}

/// Is the capture itself taken on a tunnel interface?
public enum TunnelInterface {
    public static func recognise(link: LinkLayer, interfaceNames: [String]) -> (tunnel: String, reason: String)? {
        if link == .ppp || link == .pppSerial {
            return ("ppp", "captured on a PPP link (DLT_PPP): every packet went through a PPP tunnel such as SSTP, L2TP or PPTP")
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
