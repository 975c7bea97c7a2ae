import Calls
import Dissect
import Flows
import Wire

extension PathJudge {
    /// Shortest run of call-like seconds reported as a call, and the longest quiet gap inside one.
    static let shortestCallSeconds = 3
    static let longestGapSeconds = 2

    /// `activeTunnels`: VPN flows, and TLS flows with a call's rhythm (computed once per judgement).
    func makeCall(id: Int, segments: [PathSegment], flows: [MediaFlowRecord], activeTunnels: [TunnelFlowRecord])
        -> CallVerdict
    {
        let ordered = segments.sorted { ($0.start, $0.firstFrame) < ($1.start, $1.firstFrame) }
        let start = ordered.map(\.start).min() ?? Timestamp(nanoseconds: 0)
        let end = ordered.map(\.end).max() ?? start
        let main = ordered.max { $0.packets < $1.packets } ?? ordered[0]
        var streams: [StreamSummary] = []
        for flow in flows {
            for ssrc in flow.streams.elements {
                streams.append(
                    StreamSummary(ssrc: ssrc, payloadType: flow.payloadTypes.elements.first, packets: flow.mediaPackets)
                )
            }
        }
        var notes: [String] = []
        for tunnel in activeTunnels {
            let overlaps = tunnel.firstTime <= end && tunnel.lastTime >= start
            if overlaps && !ordered.contains(where: { $0.path == .vpn }) {
                let server = tunnel.server.text(ipProtocol: tunnel.ipProtocol)
                notes.append(
                    "a \(tunnelLabel(tunnel.kind)) tunnel to \(server) was up during the call, and the media bypassed it "
                        + "(split tunnel; frame \(tunnel.evidenceFrame): \(tunnel.evidence))"
                )
            }
        }
        return CallVerdict(
            id: id,
            start: start,
            end: end,
            local: main.local,
            remote: main.remote,
            segments: ordered,
            streams: streams,
            chain: chain(main),
            notes: notes,
            ipProtocol: main.ipProtocol
        )
    }

    /// The field study's chain view of a segment, e.g. `192.168.178.91:50000 → TURN 192.0.2.10:3478 (udp) → peer`.
    func chain(_ s: PathSegment) -> String {
        switch s.path {
        case .direct: "\(s.local) → \(s.remote) (host to host)"
        case .srflx: "\(s.local) → NAT → \(s.remote) (server-reflexive)"
        case .relay:
            "\(s.local) → TURN \(s.relay.map { "\($0)" } ?? "\(s.remote)") (\(s.relayTransport ?? "udp")) → peer"
        case .vpn:
            "\(s.endpointText(s.local)) → VPN (\(s.tunnel ?? "tunnel")\(s.server.map { ", \(s.endpointText($0))" } ?? ""))"
                + " → \(s.endpointText(s.remote))"
        case .unknown: "\(s.local) → ? → \(s.remote)"
        }
    }

    // MARK: calls seen only as a tunnel's rhythm

    func isCallLike(_ tunnel: TunnelFlowRecord) -> Bool { !callRuns(tunnel).isEmpty }

    func isRelayNetwork(_ address: IPAddress) -> Bool { context.isRelayNetwork(address) }

    /// Runs of call-like seconds (a quiet gap of up to `longestGapSeconds` inside a run), each at
    /// least `shortestCallSeconds` long.
    func callRuns(_ tunnel: TunnelFlowRecord) -> [ArraySlice<TunnelFlowRecord.SecondBucket>] {
        let seconds = tunnel.callLikeHistory
        var runs: [ArraySlice<TunnelFlowRecord.SecondBucket>] = []
        var start = 0
        for i in seconds.indices
        where i == seconds.count - 1 || seconds[i + 1].second - seconds[i].second > Self.longestGapSeconds + 1 {
            let run = seconds[start...i]
            if let first = run.first, let last = run.last, last.second - first.second + 1 >= Self.shortestCallSeconds {
                runs.append(run)
            }
            start = i + 1
        }
        return runs
    }

    /// Calls visible only as media-like traffic inside a VPN's outer flow (the field study's "many
    /// small packets" on the IP-HTTPS/SSTP flow), unless the inner media was decoded already.
    func tunnelCalls(_ tracker: CallTracker, visible: [CallVerdict]) -> [CallVerdict] {
        var calls: [CallVerdict] = []
        for tunnel in tracker.tunnelFlows.sorted(by: { $0.firstTime < $1.firstTime }) {
            for run in callRuns(tunnel) {
                guard let firstSecond = run.first, let lastSecond = run.last else { continue }
                let start = firstSecond.first, end = lastSecond.last
                let decodedInside = visible.contains { call in
                    call.start <= end && call.end >= start && call.segments.contains { $0.path == .vpn }
                }
                if decodedInside { continue }
                let packets = run.reduce(0) { $0 + $1.fromClient + $1.toClient }
                let bytes = run.reduce(0) { $0 + $1.bytes }
                let seconds = lastSecond.second - firstSecond.second + 1
                let rate = "\(packets / seconds) packets/s, \(packets > 0 ? bytes / packets : 0) bytes on average"
                let isConfiguredVPN = context.vpnServers.contains(tunnel.server.address)
                // TLS to a TURN server or a Teams transport relay is relayed media (Teams' TCP/TLS 443
                // fallback), not a VPN.
                let turnFrame =
                    tracker.turnServers[tunnel.server.address] ?? tracker.turnRequests[tunnel.server.address]
                let isTURN = turnFrame != nil || (tunnel.kind == .tls && isRelayNetwork(tunnel.server.address))
                var segment = PathSegment(
                    start: start,
                    end: end,
                    path: isTURN ? .relay : .vpn,
                    tunnel: nil,
                    server: tunnel.server,
                    relay: nil,
                    relayTransport: nil,
                    local: tunnel.client,
                    remote: tunnel.server,
                    transport: tunnel.key.transport,
                    packets: packets,
                    confidence: 0.7,
                    evidence: [],
                    firstFrame: tunnel.evidenceFrame,
                    ipProtocol: tunnel.ipProtocol
                )
                segment.evidence.append(
                    "\(segment.transportName.uppercased())"
                        + " \(segment.endpointText(tunnel.client)) ⇄ \(segment.endpointText(tunnel.server))"
                        + (tunnel.serverName.map { " (SNI \($0))" } ?? "")
                        + ": call-like traffic for \(seconds) s, \(rate) (rule: media-rhythm-in-tunnel)"
                )
                if isTURN {
                    segment.relay = tunnel.server
                    segment.relayTransport = tunnel.kind == .tls ? "tls" : tunnel.key.transport.rawValue
                    segment.evidence.append(
                        turnFrame != nil
                            ? "frame \(turnFrame ?? 0): \(tunnel.server.address) is a TURN server (the client sent it STUN/TURN requests"
                                + (tracker.turnServers[tunnel.server.address] == nil
                                    && tracker.stunServers[tunnel.server.address] == nil
                                    ? ", none answered over UDP: the fallback to TCP/TLS 443 when UDP is blocked)"
                                    : ")")
                                + ": relayed media over \(segment.relayTransport ?? "tcp")"
                            : "\(tunnel.server.address) is in a configured or Microsoft Teams relay range: a transport relay over \(segment.relayTransport ?? "tcp")"
                    )
                } else {
                    segment.tunnel = tunnel.kind == .tls ? (isConfiguredVPN ? "vpn" : "tls") : tunnelLabel(tunnel.kind)
                    segment.evidence.append(
                        "frame \(tunnel.evidenceFrame): \(tunnel.evidence)"
                            + (isConfiguredVPN ? "; \(tunnel.server.address) is the configured VPN server" : "")
                    )
                    if tunnel.kind == .tls && !isConfiguredVPN {
                        // Media over plain TLS is a TLS VPN (AnyConnect, FortiClient…) or an app's own TCP
                        // fallback (Zoom, Teams): the capture alone cannot tell which.
                        segment.path = .unknown
                        segment.confidence = 0.4
                        segment.evidence.append(
                            "unknown: call-like traffic inside TLS of unknown make: a TLS VPN (SSTP, AnyConnect, FortiClient…) "
                                + "or media over TLS; name the VPN server with --vpn-server to judge it vpn"
                        )
                    }
                }
                calls.append(
                    CallVerdict(
                        id: 0,
                        start: start,
                        end: end,
                        local: tunnel.client,
                        remote: tunnel.server,
                        segments: [segment],
                        streams: [],
                        chain: chain(segment),
                        notes: [
                            "the call's own packets are encrypted inside the tunnel: endpoints inside are not visible"
                        ],
                        ipProtocol: tunnel.ipProtocol
                    )
                )
            }
        }
        return calls
    }
}
