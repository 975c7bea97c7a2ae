import Calls
import Flows
import Wire

extension PathJudge {
    /// The call's ICE candidates as the capture reveals them: local host candidates (addresses that
    /// sent checks or media), server-reflexive ones (XOR-MAPPED-ADDRESS from a STUN/TURN server),
    /// peer-reflexive ones (a check response that saw another address), relayed ones (Allocate
    /// successes), the remote ends, and every pair nominated with USE-CANDIDATE.
    func candidateMap(
        _ call: CallFacts,
        tracker: CallTracker,
        checksByUfrag: [String: [MediaFlowRecord]],
        local choose: (Endpoint, Endpoint) -> Endpoint
    ) -> ([CandidateSummary], [Nomination]) {
        let mediaKeys = Set(call.flows.map(\.key))
        var relatedByKey: [FlowKey: MediaFlowRecord] = [:]
        for flow in call.flows { relatedByKey[flow.key] = flow }
        for fragment in call.ufrags {
            for record in checksByUfrag[fragment] ?? [] { relatedByKey[record.key] = record }
        }
        let related = relatedByKey.values.sorted { $0.firstFrame < $1.firstFrame }
        var candidates: [CandidateSummary] = []
        var nominations: [Nomination] = []
        func add(_ type: String, _ address: Endpoint, _ side: String, _ source: String, _ frame: Int) {
            if !candidates.contains(where: { $0.address == address && $0.type == type }) {
                candidates.append(
                    CandidateSummary(type: type, address: address, side: side, source: source, frame: frame)
                )
            }
        }
        for record in related {
            let local = choose(record.key.low, record.key.high)
            let remote = local == record.key.low ? record.key.high : record.key.low
            let frame = record.firstICECheckFrame ?? record.firstMediaFrame ?? record.firstFrame
            if let allocation = tracker.allocations[record.key], let relayed = allocation.relayed {
                add(
                    "relay",
                    relayed,
                    "local",
                    "XOR-RELAYED-ADDRESS in the Allocate success from \(allocation.server)",
                    allocation.successFrame ?? allocation.requestFrame
                )
            } else {
                let priority = local == record.key.low ? record.checkPriorityFromLow : record.checkPriorityFromHigh
                add(
                    "host",
                    local,
                    "local",
                    record.iceChecks > 0 ? "sent ICE checks" + (priority.map(Self.priorityText) ?? "") : "sent media",
                    frame
                )
            }
            if let server = tracker.serverReflexive[local], server.mapped != local {
                add(
                    "srflx",
                    server.mapped,
                    "local",
                    "XOR-MAPPED-ADDRESS from a STUN/TURN server for \(local)",
                    server.frame
                )
            }
            let seen = local == record.key.low ? record.mappedLow : record.mappedHigh
            if let seen, seen != local, tracker.serverReflexive[local]?.mapped != seen {
                add("prflx", seen, "local", "XOR-MAPPED-ADDRESS in the peer's check response for \(local)", frame)
            }
            let remoteType = isRelayEndpoint(remote, tracker) ? "relay" : "peer"
            if tracker.allocations[record.key] == nil {
                let answered = (record.mappedLow ?? record.mappedHigh) != nil
                let how =
                    record.mediaPackets > 0
                    ? "exchanged media" : answered ? "answered ICE checks" : "ICE checks sent to it, no answer seen"
                add(remoteType, remote, "remote", how, frame)
            }
            if let nomination = record.nominationFrame {
                nominations.append(
                    Nomination(
                        local: local,
                        remote: remote,
                        frame: nomination,
                        carriedMedia: mediaKeys.contains(record.key)
                    )
                )
            }
        }
        for offer in tracker.sdpOffers where call.callIDs.contains(offer.callID) {
            let side = related.contains { choose($0.key.low, $0.key.high).address == offer.sender } ? "local" : "remote"
            for offered in offer.candidates {
                add(
                    offered.type,
                    offered.address,
                    side,
                    "a=candidate (\(offered.transport)) in SIP \(offer.message), Call-ID \(offer.callID)",
                    offer.frame
                )
            }
        }
        return (candidates, nominations)
    }

    /// What the call's SDP offered against what carried media: offers never used, and media on
    /// addresses no SDP named (e.g. a NAT's or a relay's address the SBC never saw).
    func sdpNotes(_ call: CallFacts, tracker: CallTracker) -> [String] {
        let offers = tracker.sdpOffers.filter { call.callIDs.contains($0.callID) }
        guard !offers.isEmpty else { return [] }
        let offered = Set(offers.flatMap(\.offeredEndpoints))
        let used = Set(call.flows.flatMap { [$0.key.low, $0.key.high] })
        var notes: [String] = []
        let frames = offers.map { "\($0.frame)" }.joined(separator: ", ")
        notes.append(
            "SIP Call-ID \(offers[0].callID): SDP in frames \(frames) offered \(offered.count) media addresses/candidates"
        )
        let unused = offers.flatMap(\.candidates).filter { !used.contains($0.address) }
        if !unused.isEmpty {
            notes.append("offered but never used: " + unused.map { "\($0.type) \($0.address)" }.joined(separator: ", "))
        }
        let unoffered = call.flows.flatMap { [$0.key.low, $0.key.high] }.filter { !offered.contains($0) }
        if !unoffered.isEmpty {
            notes.append(
                "media on addresses no SDP offered: " + Set(unoffered).map { "\($0)" }.sorted().joined(separator: ", ")
            )
        }
        return notes
    }

    /// The allocations of the call's local endpoints, answered or not: an unanswered UDP Allocate
    /// followed by one over TCP/TLS is the fallback Teams makes when UDP is blocked.
    func relayLifecycles(_ call: CallFacts, tracker: CallTracker, local choose: (Endpoint, Endpoint) -> Endpoint)
        -> ([RelaySummary], [String])
    {
        let keys = Set(call.flows.map(\.key))
        let locals = Set(call.flows.map { choose($0.key.low, $0.key.high).address })
        let remotes = Set(
            call.flows.map { record -> Endpoint in
                let local = choose(record.key.low, record.key.high)
                return local == record.key.low ? record.key.high : record.key.low
            }
        )
        var relays: [RelaySummary] = []
        for allocation in tracker.allocations.values.sorted(by: { $0.requestFrame < $1.requestFrame })
        where keys.contains(allocation.key) || locals.contains(allocation.client.address)
            || allocation.relayed.map(remotes.contains) == true
        {
            relays.append(
                RelaySummary(
                    server: allocation.server,
                    client: allocation.client,
                    transport: allocation.key.transport == .udp
                        ? "udp" : (isTLS(allocation.key, tracker) ? "tls" : "tcp"),
                    relayed: allocation.relayed,
                    mapped: allocation.mapped,
                    requestFrame: allocation.requestFrame,
                    successFrame: allocation.successFrame,
                    lifetime: allocation.lifetime,
                    errorCodes: allocation.errorCodes.elements,
                    peers: allocation.peers.elements,
                    channels: allocation.channels.elements,
                    microsoft: allocation.microsoft,
                    multiplexedSession: allocation.multiplexedSession,
                    carriedMedia: keys.contains(allocation.key)
                )
            )
        }
        var notes: [String] = []
        let unanswered = relays.filter { $0.successFrame == nil && $0.errorCodes.isEmpty }
        for failed in unanswered {
            if let fallback = relays.first(where: {
                $0.successFrame != nil && $0.transport != failed.transport && $0.requestFrame > failed.requestFrame
            }) {
                notes.append(
                    "TURN over \(failed.transport) to \(failed.server) went unanswered (frame \(failed.requestFrame)); the client fell back to "
                        + "\(fallback.transport) to \(fallback.server) (frame \(fallback.requestFrame))"
                )
            }
        }
        return (relays, notes)
    }

    /// What a check's PRIORITY says (RFC 8445 §5.1.2.1): the top byte is the type preference. In a
    /// check it is the priority a peer-reflexive candidate would get (§7.1.1), so 110 is the norm;
    /// other values show a vendor's own scheme, and never the type of the candidate used.
    static func priorityText(_ priority: UInt32) -> String {
        let preference = priority >> 24
        let meaning: String
        switch preference {
        case 126: meaning = "host"
        case 110: meaning = "prflx, as RFC 8445 §7.1.1 prescribes for checks"
        case 100: meaning = "srflx"
        case 0: meaning = "relay"
        default: meaning = "not a recommended value: vendor scheme"
        }
        return " (PRIORITY \(priority), type preference \(preference): \(meaning))"
    }

    /// Every flow that carried ICE checks, by each of its username fragments.
    static func checksByUfrag(_ tracker: CallTracker) -> [String: [MediaFlowRecord]] {
        var index: [String: [MediaFlowRecord]] = [:]
        for record in tracker.mediaFlows where record.iceUsername != nil {
            for fragment in CallAssembler.ufrags(record.iceUsername) { index[fragment, default: []].append(record) }
        }
        return index
    }

    func isRelayEndpoint(_ endpoint: Endpoint, _ tracker: CallTracker) -> Bool {
        tracker.turnServers[endpoint.address] != nil || relayedAddressFrame(endpoint, tracker) != nil
            || context.isRelayRange(endpoint)
    }
}
