import Flows
import Wire

/// The media flows of one call.
public struct CallFacts: Sendable {
    /// Sorted by the time media first flowed.
    public var flows: [MediaFlowRecord]
    /// Every ICE username fragment seen on the call's checks.
    public var ufrags: [String]
    /// SIP Call-IDs whose SDP named this call's media addresses or ufrags.
    public var callIDs: [String] = []
}

/// Groups media flows into calls (protocols.md §13.4): flows whose ICE checks share a username
/// fragment belong to one ICE session; flows without checks join the call of another flow on the
/// same local endpoint, or else the call with the same two hosts whose media overlaps in time.
public enum CallAssembler {
    /// Flows with fewer media packets than this are stray checks or noise, not a call's media.
    public static let minimumMediaPackets = 5
    /// Media on the same two hosts with a gap shorter than this is one call.
    public static let sameCallGapNanoseconds: Int64 = 10_000_000_000

    public static func assemble(_ tracker: CallTracker, localHost: (Endpoint, Endpoint) -> Endpoint) -> [CallFacts] {
        let flows = tracker.mediaFlows.filter { $0.mediaPackets >= minimumMediaPackets }
            .sorted { ($0.firstTime, $0.firstFrame) < ($1.firstTime, $1.firstFrame) }
        var parent = Array(flows.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        func join(_ a: Int, _ b: Int) { parent[root(a)] = root(b) }

        var byUfrag: [String: Int] = [:]
        var byLocalEndpoint: [Endpoint: Int] = [:]
        for (i, flow) in flows.enumerated() {
            for fragment in ufrags(flow.iceUsername) {
                if let other = byUfrag[fragment] { join(i, other) } else { byUfrag[fragment] = i }
            }
            let local = localHost(flow.key.low, flow.key.high)
            if let other = byLocalEndpoint[local] { join(i, other) } else { byLocalEndpoint[local] = i }
        }
        // One SIP dialog: flows on the addresses its SDP offered, or checked with its ufrags.
        var dialogs: [String: [Int]] = [:]
        for offer in tracker.sdpOffers {
            let offered = Set(offer.offeredEndpoints)
            for (i, flow) in flows.enumerated()
            where offered.contains(flow.key.low) || offered.contains(flow.key.high)
                || offer.iceUfrag.map({ ufrags(flow.iceUsername).contains($0) }) == true
            {
                dialogs[offer.callID, default: []].append(i)
            }
        }
        for members in dialogs.values { for i in members.dropFirst() { join(i, members[0]) } }
        // Flows without ICE: same two hosts, media close in time (flows are in time order, so
        // comparing with the latest earlier flow of the same host pair is enough).
        var latestByHosts: [HostPair: Int] = [:]
        for (i, flow) in flows.enumerated() {
            let hosts = HostPair(flow.key.low.address, flow.key.high.address)
            if let j = latestByHosts[hosts], flow.iceUsername == nil || flows[j].iceUsername == nil,
                flow.firstTime.nanoseconds &- flows[j].lastTime.nanoseconds < sameCallGapNanoseconds
            {
                join(i, j)
            }
            if latestByHosts[hosts].map({ flows[$0].lastTime < flow.lastTime }) ?? true { latestByHosts[hosts] = i }
        }
        var groups: [Int: [MediaFlowRecord]] = [:]
        var order: [Int] = []
        for i in flows.indices {
            let r = root(i)
            if groups[r] == nil { order.append(r) }
            groups[r, default: []].append(flows[i])
        }
        return order.map { r in
            let members = groups[r] ?? []
            let fragments = Array(Set(members.flatMap { ufrags($0.iceUsername) })).sorted()
            let keys = Set(members.map(\.key))
            let callIDs = dialogs.filter { $0.value.contains { keys.contains(flows[$0].key) } }.keys.sorted()
            return CallFacts(flows: members, ufrags: fragments, callIDs: callIDs)
        }
    }

    /// "remote:local" from a check's USERNAME (RFC 8445 §7.2.2); MS-ICE2 may use other separators.
    public static func ufrags(_ username: String?) -> [String] {
        guard let username else { return [] }
        return username.split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }
}

/// Two addresses in a fixed order.
struct HostPair: Hashable {
    let low: IPAddress
    let high: IPAddress
    init(_ a: IPAddress, _ b: IPAddress) { (low, high) = a < b ? (a, b) : (b, a) }
}
