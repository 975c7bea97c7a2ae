import Foundation
import Judge
import Pipeline
import Testing
import Wire

/// Every capture the project made in its real test field (Captures/<scenario>/) has a truth file
/// written from the ICE agents' own selected pair and the VPN's own state. callpath must give the
/// truth's path for every segment, found by the segment's media 5-tuple.
@Suite struct CaptureVerdictTests {
    static let root = SharedCaptures.repositoryRoot.appendingPathComponent("Captures")

    static let truthFiles = SharedCaptures.testFieldFiles(endingIn: ".truth.json")

    @Test func thereAreScenarioCaptures() {
        #expect(Self.truthFiles.count >= 8)
    }

    /// The truth writes IPv6 endpoints as tshark does (`2001:db8::1:443`); callpath as `[2001:db8::1]:443`.
    static func bracketed(_ endpoint: String) -> String {
        guard !endpoint.hasPrefix("["), endpoint.filter({ $0 == ":" }).count > 1,
            let colon = endpoint.lastIndex(of: ":")
        else { return endpoint }
        return "[\(endpoint[..<colon])]\(endpoint[colon...])"
    }

    /// A capture taken on the tunnel interface shows the tunnel's inner side only: the make of the
    /// VPN (SSTP or L2TP behind a ppp device, OpenVPN or WireGuard behind a tun device) is not in it.
    static let interfaceTunnels: [String: Set<String>] = [
        "ppp": ["sstp", "l2tp", "pptp"], "tun": ["openvpn", "wireguard"],
    ]

    @Test(arguments: truthFiles)
    func verdictsMatchTheTruth(truthFile: String) throws {
        let url = Self.root.appendingPathComponent(truthFile)
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let capture = url.deletingLastPathComponent().appendingPathComponent(try #require(truth["capture"] as? String))
        let scan = try OfflineCapture(path: capture.path).analyzeCalls(context: NetworkContext())
        let origin = scan.first ?? Timestamp(nanoseconds: 0)
        let ours = scan.calls.flatMap(\.segments)
        for call in truth["calls"] as? [[String: Any]] ?? [] {
            for expected in call["segments"] as? [[String: Any]] ?? [] {
                let media = try #require(expected["media"] as? [String: Any])
                let ends = Set([media["local"] as? String ?? "", media["remote"] as? String ?? ""].map(Self.bracketed))
                let start = expected["start"] as? Double ?? 0, end = expected["end"] as? Double ?? 0
                let label = "\(truthFile) segment \(ends.sorted()) \(start)–\(end)"
                // A tunnel whose inner packets callpath reads (IP-HTTPS with a NULL cipher) is judged on
                // the inner 5-tuple, which the truth gives as innerMedia.
                let inner = (expected["innerMedia"] as? [String: Any]).map {
                    Set([$0["local"] as? String ?? "", $0["remote"] as? String ?? ""].map(Self.bracketed))
                }
                let match = ours.first { s in
                    let seen = Set(["\(s.local)", "\(s.remote)"])
                    return (seen == ends || seen == inner)
                        && s.start.seconds(since: origin) < end + 1 && s.end.seconds(since: origin) > start - 1
                }
                guard let segment = match else {
                    Issue.record(
                        Comment(
                            rawValue: "\(label): no segment on this 5-tuple; ours: "
                                + ours.map { "\($0.path) \($0.local)⇄\($0.remote)" }.joined(separator: "; ")
                        )
                    )
                    continue
                }
                // Seen from outside the tunnel (the truth gives the inner 5-tuple apart), an encrypted VPN
                // hides what the media did inside it (host pair or a relay): the observable path is vpn.
                let outerView = expected["innerMedia"] is [String: Any]
                let path = outerView ? "vpn" : expected["path"] as? String
                #expect(segment.path.rawValue == path, Comment(rawValue: label))
                if !outerView, let relayTransport = expected["relayTransport"] as? String {
                    #expect(segment.relayTransport == relayTransport, Comment(rawValue: label))
                }
                if let mapped = expected["serverReflexive"] as? String {
                    let candidates = scan.calls.flatMap(\.candidates).filter {
                        $0.type == "srflx" && $0.side == "local"
                    }
                    #expect(
                        candidates.contains { "\($0.address)" == Self.bracketed(mapped) },
                        Comment(
                            rawValue:
                                "\(label): srflx candidate \(mapped) not named; ours: \(candidates.map { "\($0.address)" })"
                        )
                    )
                }
                if let tunnel = expected["tunnel"] as? String {
                    let acceptable =
                        scan.tunnelInterface.flatMap { Self.interfaceTunnels[$0] }?.contains(tunnel) == true
                        ? [tunnel, scan.tunnelInterface ?? ""] : [tunnel]
                    #expect(
                        acceptable.contains(segment.tunnel ?? "none"),
                        Comment(rawValue: "\(label): tunnel \(segment.tunnel ?? "none")")
                    )
                }
            }
        }
    }
}
