import Calls
import Capture
import Dissect
import Flows
import Judge
import Wire

extension OfflineCapture {
    public struct CallScan {
        public var calls: [CallVerdict]
        public var counters: DecodeCounters
        public var packets: Int
        public var first: Timestamp?
        public var last: Timestamp?
        public var interfaceNames: [String]
        public var tunnelInterface: String?
        public var truncation: CaptureError?
    }

    /// Runs the whole pipeline (decode → flows → calls → judge) over the file.
    public func analyzeCalls(context: NetworkContext) throws(CaptureError) -> CallScan {
        var decoder = FrameDecoder(link: link)
        var analyzer = PacketAnalyzer()
        var tracker = CallTracker()
        var first: Timestamp? = nil
        var last: Timestamp? = nil
        var truncation: CaptureError? = nil
        // A frame's segments wait here until the decoder has returned, so the tracker can also be
        // told the frame's outer TTL; the array keeps its capacity, so this allocates nothing per packet.
        var pending: [(TransportSegment, PacketAnalysis)] = []
        pending.reserveCapacity(8)
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in
                if first == nil { first = meta.timestamp }
                if last.map({ meta.timestamp > $0 }) ?? true { last = meta.timestamp }
                pending.removeAll(keepingCapacity: true)
                decoder.decode(bytes, at: meta.timestamp) { segment in
                    pending.append((segment, analyzer.analyze(segment, frame: meta.frame, time: meta.timestamp)))
                }
                for (segment, analysis) in pending {
                    let key = FlowKey(segment.transport, segment.source, segment.destination)
                    tracker.observe(
                        meta, segment, analysis, flow: analyzer.table.state(of: key), hopLimit: decoder.outerHopLimit)
                }
            }
        } catch {
            guard error.code == .truncated else { throw error }
            truncation = error
        }
        let names = PcapNGInterfaces.names(inFile: file.path)
        let tunnel = TunnelInterface.recognise(link: link, interfaceNames: names)
        let judge = PathJudge(context: context, tunnelInterface: tunnel)
        return CallScan(
            calls: judge.judge(tracker), counters: decoder.counters, packets: file.packetsRead, first: first, last: last,
            interfaceNames: names, tunnelInterface: tunnel?.tunnel, truncation: truncation)
    }
}

/// Is the capture itself taken on a tunnel interface?
enum TunnelInterface {
    static func recognise(link: LinkLayer, interfaceNames: [String]) -> (tunnel: String, reason: String)? {
        if link == .ppp || link == .pppSerial {
            return ("ppp", "captured on a PPP link (DLT_PPP): every packet went through a PPP tunnel such as SSTP, L2TP or PPTP")
        }
        guard let name = interfaceNames.first(where: { !$0.isEmpty }), interfaceNames.count == 1 else { return nil }
        let prefixes: [(String, String)] = [
            ("ppp", "ppp"), ("tun", "tun"), ("wg", "wireguard"), ("utun", "utun"), ("ipsec", "ipsec"),
            ("tap", "tap"), ("vpn", "vpn"),
        ]
        for (prefix, tunnel) in prefixes where name.hasPrefix(prefix) {
            return (tunnel, "captured on interface \(name), a tunnel device (pcapng interface name)")
        }
        return nil
    }
}
