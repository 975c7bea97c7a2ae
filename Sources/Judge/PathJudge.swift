import Calls
import Dissect
import Flows
import Wire

/// Decides the path of every call segment from the facts the capture showed. Pure: no I/O.
/// Rules run in a fixed order; each verdict names its rule and the frames a reader can open in
/// Wireshark, with a confidence that drops when only address classes speak for it.
public struct PathJudge {
    public var context: NetworkContext
    /// Set when the capture was taken on a tunnel interface (a PPP link, `ppp0`, `tun0`, `wg0`, `utun3`):
    /// the tunnel's name for the report and why it is one.
    public var tunnelInterface: (tunnel: String, reason: String)?

    public init(context: NetworkContext, tunnelInterface: (tunnel: String, reason: String)? = nil) {
        self.context = context
        self.tunnelInterface = tunnelInterface
    }

    /// Every call in the capture, in order of first media.
    public func judge(_ tracker: CallTracker) -> [CallVerdict] {
        let local = localSideChooser(tracker)
        var verdicts: [CallVerdict] = []
        let checksByUfrag = Self.checksByUfrag(tracker)
        let activeTunnels = tracker.tunnelFlows.filter { $0.kind != .tls || isCallLike($0) }
        for call in CallAssembler.assemble(tracker, localHost: local) {
            let segments = call.flows.map { judge(flow: $0, tracker: tracker, local: local) }
            var verdict = makeCall(id: 0, segments: segments, flows: call.flows, activeTunnels: activeTunnels)
            (verdict.candidates, verdict.nominations) = candidateMap(
                call,
                tracker: tracker,
                checksByUfrag: checksByUfrag,
                local: local
            )
            verdict.notes += sdpNotes(call, tracker: tracker)
            let (relays, relayNotes) = relayLifecycles(call, tracker: tracker, local: local)
            verdict.relays = relays
            verdict.notes += relayNotes
            verdicts.append(verdict)
        }
        verdicts += tunnelCalls(tracker, visible: verdicts)
        verdicts.sort {
            ($0.start, $0.segments.first?.firstFrame ?? 0) < ($1.start, $1.segments.first?.firstFrame ?? 0)
        }
        for i in verdicts.indices { verdicts[i].id = i + 1 }
        return verdicts
    }

    /// The capture's own side of a flow, by the strongest signal available: the end that sends
    /// with an initial TTL (64, 128, 255) while the other's arrives lower; the end that asked a
    /// STUN/TURN server or opened a VPN tunnel; the address in more flows; the first packet's
    /// source; the private address.
    func localSideChooser(_ tracker: CallTracker) -> (Endpoint, Endpoint) -> Endpoint {
        let counts = tracker.flowsPerAddress
        let clients = tracker.serverClients
        let firstSource = tracker.firstSource
        return { a, b in
            let record = tracker.media(of: FlowKey(.udp, a, b)) ?? tracker.media(of: FlowKey(.tcp, a, b))
            if let record {
                let fromA = a == record.key.low ? record.hopLimitFromLow : record.hopLimitFromHigh
                let fromB = a == record.key.low ? record.hopLimitFromHigh : record.hopLimitFromLow
                if fromA != fromB, Self.initialHopLimits.contains(max(fromA, fromB)), min(fromA, fromB) > 0 {
                    return fromA > fromB ? a : b
                }
            }
            let sa = clients.contains(a.address), sb = clients.contains(b.address)
            if sa != sb { return sa ? a : b }
            let ca = counts[a.address] ?? 0, cb = counts[b.address] ?? 0
            if ca != cb { return ca > cb ? a : b }
            if let firstSource, (a.address == firstSource) != (b.address == firstSource) {
                return a.address == firstSource ? a : b
            }
            let pa = context.isPrivate(a.address), pb = context.isPrivate(b.address)
            if pa != pb { return pa ? a : b }
            return a < b ? a : b
        }
    }

    static let initialHopLimits: Set<UInt8> = [64, 128, 255]

    // MARK: one media flow

    func judge(flow: MediaFlowRecord, tracker: CallTracker, local choose: (Endpoint, Endpoint) -> Endpoint)
        -> PathSegment
    {
        let local = choose(flow.key.low, flow.key.high)
        let remote = local == flow.key.low ? flow.key.high : flow.key.low
        var segment = PathSegment(
            start: flow.firstTime,
            end: flow.lastTime,
            path: .unknown,
            tunnel: nil,
            server: nil,
            relay: nil,
            relayTransport: nil,
            local: local,
            remote: remote,
            transport: flow.key.transport,
            packets: flow.packets,
            confidence: 0,
            evidence: [],
            firstFrame: flow.firstMediaFrame ?? flow.firstFrame
        )
        let media =
            "frame \(segment.firstFrame): media \(local) ⇄ \(remote) (\(flow.mediaPackets) packets"
            + (flow.streams.elements.isEmpty
                ? ")" : ", SSRC " + flow.streams.elements.map { hex($0) }.joined(separator: ", ") + ")")

        // The tunnel the media crossed, if the capture shows one: decoded inner packets, or a capture
        // taken on the tunnel interface. A relay inside the tunnel is still a relay (the ICE pair's
        // type), with the tunnel named; otherwise the tunnel is the path.
        var tunnel: (label: String, evidence: String, confidence: Double)? = nil
        if let inner = flow.tunnel {
            tunnel = (
                tunnelLabel(inner),
                "frame \(flow.tunnelFrame ?? segment.firstFrame): carried inside \(inner.text) (rule: media-inside-tunnel)",
                0.95
            )
        } else if let tunnelInterface {
            tunnel = (tunnelInterface.tunnel, "\(tunnelInterface.reason) (rule: tunnel-interface)", 0.85)
        }
        if var relayed = relayVerdict(segment, flow: flow, media: media, tracker: tracker, remote: remote) {
            if let tunnel {
                relayed.tunnel = tunnel.label
                relayed.evidence.append(tunnel.evidence)
            }
            return relayed
        }
        if let tunnel {
            segment.path = .vpn
            segment.tunnel = tunnel.label
            segment.confidence = tunnel.confidence
            segment.evidence = [media, tunnel.evidence]
            return segment
        }
        return addressVerdict(segment, flow: flow, media: media, tracker: tracker, local: local, remote: remote)
    }

    /// Rules 3–4: our own TURN allocation carries the media, or the peer's side is a relay.
    func relayVerdict(
        _ base: PathSegment,
        flow: MediaFlowRecord,
        media: String,
        tracker: CallTracker,
        remote: Endpoint
    ) -> PathSegment? {
        var segment = base
        // 3. Our own TURN allocation carries it.
        let allocation = tracker.allocations[flow.key]
        if flow.turnFramedPackets > 0 || (allocation?.successFrame != nil) {
            segment.path = .relay
            segment.relay = allocation?.relayed ?? remote
            segment.server = remote
            segment.relayTransport = flow.key.transport == .udp ? "udp" : (isTLS(flow.key, tracker) ? "tls" : "tcp")
            segment.confidence = flow.turnFramedPackets > 0 ? 0.95 : 0.85
            segment.evidence = [media]
            if let allocation, let frame = allocation.successFrame {
                segment.evidence.append(
                    "frame \(frame): Allocate success from TURN server \(allocation.server)"
                        + (allocation.relayed.map { ", relayed address \($0)" } ?? "")
                        + (allocation.microsoft ? " (MS-TURN)" : "")
                )
            }
            if let frame = flow.firstTURNFrame {
                segment.evidence.append(
                    "frame \(frame): media framed as TURN ChannelData / Data indication (rule: turn-framing)"
                )
            } else {
                segment.evidence.append("media on the 5-tuple of a TURN allocation (rule: turn-allocation)")
            }
            return segment
        }
        // 4. The peer's side is a relay: media goes to a TURN server's address, or a relay range.
        let peerRelay: (confidence: Double, reason: String)? =
            if let frame = tracker.turnServers[remote.address] ?? relayedAddressFrame(remote, tracker) {
                (
                    0.85,
                    "frame \(frame): \(remote.address) answered as a TURN server; media goes to its relayed port \(remote.port) (rule: peer-relayed)"
                )
            } else if context.isRelayRange(remote) {
                (
                    0.75,
                    "\(remote) is in a configured or Microsoft Teams relay range on a relay port (rule: relay-range)"
                )
            } else {
                nil
            }
        guard let peerRelay else { return nil }
        segment.path = .relay
        segment.relay = remote
        segment.relayTransport = flow.key.transport.rawValue
        segment.confidence = peerRelay.confidence
        segment.evidence = [media, peerRelay.reason]
        return segment
    }

    /// Rules 5–7: one LAN, address translation seen by STUN, or address classes only.
    func addressVerdict(
        _ base: PathSegment,
        flow: MediaFlowRecord,
        media: String,
        tracker: CallTracker,
        local: Endpoint,
        remote: Endpoint
    ) -> PathSegment {
        var segment = base
        // 5. One LAN, or the company network the admin named (--corp-net): host candidates.
        if context.isCorporate(local.address) && context.isCorporate(remote.address) {
            segment.path = .direct
            segment.confidence = 0.85
            segment.evidence = [
                media, "both ends in the company network given with --corp-net (rule: corporate-network)",
            ]
            return segment
        }
        // One LAN: host candidates.
        if context.sameLAN(local.address, remote.address) {
            segment.path = .direct
            segment.confidence = flow.iceChecks > 0 ? 0.95 : 0.8
            segment.evidence = [media, "both ends in one private network \(lanText(local.address)) (rule: same-lan)"]
            if let frame = flow.firstICECheckFrame {
                segment.evidence.append("frame \(frame): ICE checks host ⇄ host on this 5-tuple")
            }
            return segment
        }
        // 6. Address translation seen by STUN.
        let mapped = mappedAddress(of: local, flow: flow, tracker: tracker)
        if let (address, frame, source) = mapped, address != local {
            segment.path = .srflx
            segment.confidence = 0.9
            segment.evidence = [
                media, "frame \(frame): \(source) saw \(local) as \(address): a NAT maps it (rule: stun-mapped)",
                "media goes straight to the peer's address \(remote), not to a relay",
            ]
            return segment
        }
        if let (address, frame, _) = mapped, address == local {
            segment.path = .direct
            segment.confidence = 0.85
            segment.evidence = [
                media, "frame \(frame): STUN saw \(local) unchanged: no translation (rule: stun-unmapped)",
            ]
            return segment
        }
        // 7. Address classes only.
        let localPrivate = context.isPrivate(local.address), remotePrivate = context.isPrivate(remote.address)
        if localPrivate && !remotePrivate {
            segment.path = .srflx
            segment.confidence = 0.6
            segment.evidence = [
                media,
                "no STUN mapping seen; a private address talking to a public one is translated by a NAT (rule: private-to-public)",
            ]
        } else {
            segment.path = .direct
            segment.confidence = 0.6
            segment.evidence = [
                media,
                localPrivate
                    ? "both ends private, routed without translation (rule: routed-private)"
                    : "public addresses on both ends, no translation seen (rule: routed-public)",
            ]
        }
        return segment
    }

    func mappedAddress(of local: Endpoint, flow: MediaFlowRecord, tracker: CallTracker) -> (Endpoint, Int, String)? {
        let fromCheck = local == flow.key.low ? flow.mappedLow : flow.mappedHigh
        if let fromCheck {
            return (fromCheck, flow.firstICECheckFrame ?? flow.firstFrame, "the peer's ICE check response")
        }
        if let server = tracker.serverReflexive[local] { return (server.mapped, server.frame, "a STUN/TURN server") }
        return nil
    }

    func relayedAddressFrame(_ endpoint: Endpoint, _ tracker: CallTracker) -> Int? {
        tracker.allocations.values.first { $0.relayed == endpoint }.flatMap { $0.successFrame }
    }

    func isTLS(_ key: FlowKey, _ tracker: CallTracker) -> Bool {
        tracker.tunnel(of: key)?.kind == .tls
    }

    func lanText(_ address: IPAddress) -> String {
        address.isIPv6 ? "(same /64)" : "(same /24)"
    }

    func tunnelLabel(_ name: ProtocolName) -> String {
        switch name {
        case .esp: "ipsec"
        default: "\(name.text)"
        }
    }

    func hex(_ ssrc: UInt32) -> String { "0x" + String(ssrc, radix: 16, uppercase: false) }
}
