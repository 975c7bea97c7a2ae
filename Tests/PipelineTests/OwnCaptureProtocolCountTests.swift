import Dissect
import Foundation
import Judge
import Pipeline
import Testing
import Wire

/// The project's own VPN tunnel captures (Captures/vpn-tunnels: real strongSwan IPsec and
/// wireguard-go tunnels between network namespaces, and L2TP, GRE and PPTP re-encapsulations of the
/// WireGuard run's inner packets; see its README). Three checks, each against truth from outside
/// callpath:
///  * per-protocol frame counts equal tshark's (`<capture>.tshark-counts.json`), frame by frame;
///  * the call inside a tunnel is judged `vpn` with the tunnel named, as the tunnel's own state
///    (`<stem>.tunnel.json`: strongSwan's SAs, `wg show`, the media senders' record) says;
///  * in the seeded broken copies (`malformed/`), every packet whose tunnel header was broken is
///    marked malformed, nothing crashes, and the good packets around them decode as tshark decodes
///    them in the original capture.
/// Every known difference is pinned below with frames and reason, so a new one — or one that went
/// away — fails.
@Suite struct OwnCaptureProtocolCountTests {
    static let folder = SharedCaptures.repositoryRoot.appendingPathComponent("Captures/vpn-tunnels")
    static let malformedFolder = folder.appendingPathComponent("malformed")

    /// TsharkProtocolCountTests' names, plus the layers a tunnel capture is about.
    static let mapping: [(name: String, ours: [ProtocolName], tshark: [String])] =
        TsharkProtocolCountTests.mapping + [
            ("pptp", [.pptp], ["pptp"]),
            ("ppp", [.ppp], ["ppp"]),
            ("ipv4", [.ipv4], ["ip"]),
            ("udp", [.udp], ["udp"]),
            ("tcp", [.tcp], ["tcp"]),
            ("icmp", [.icmp], ["icmp"]),
        ]

    static func files(in folder: URL, endingIn suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.map { String($0.dropLast(suffix.count)) }.sorted()
    }

    static let captures = files(in: folder, endingIn: ".tshark-counts.json")
    static let tunnelTruths = files(in: folder, endingIn: ".tunnel.json")
    static let malformedSets = files(in: malformedFolder, endingIn: ".json").filter {
        !$0.hasSuffix(".pcap.tshark-counts")
    }

    @Test func everyTunnelHasItsCaptureAndTruth() {
        #expect(
            Self.captures == [
                "gre.pcap", "inner-media.pcap", "ipsec-direct.pcap", "ipsec-esp.pcap", "ipsec-natt.pcap", "l2tp.pcap",
                "pptp.pcap", "wireguard.pcap",
            ]
        )
        #expect(Self.tunnelTruths == ["gre", "ipsec-direct", "ipsec-esp", "ipsec-natt", "l2tp", "pptp", "wireguard"])
        #expect(
            Self.malformedSets == [
                "gre-malformed", "ipsec-esp-malformed", "ipsec-natt-malformed", "l2tp-malformed", "pptp-malformed",
                "wireguard-malformed",
            ]
        )
        let pinnedCaptures = Set(Self.knownDifferences.keys.map { String($0.prefix { $0 != ":" }) })
        #expect(pinnedCaptures.isSubset(of: Set(Self.captures)))
    }

    // MARK: tshark's counts

    /// Differences from tshark 4.0.17 by "capture: protocol": the frames only we count, the frames only
    /// tshark counts (as "1-4,9"), and why. Frames, not totals, so a rebuild of the captures (other
    /// packet counts, same structure) keeps them.
    static let knownDifferences: [String: (onlyOurs: String, onlyTshark: String, why: String)] = [:]

    static func json(_ file: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
    }

    /// "1-4,9" → [1, 2, 3, 4, 9]
    static func frames(_ ranges: String) -> Set<Int> {
        var result: Set<Int> = []
        for part in ranges.split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 2 {
                result.formUnion(ends[0]...ends[1])
            } else if let one = ends.first {
                result.insert(one)
            }
        }
        return result
    }

    /// tshark's frames per mapping entry, from a `.tshark-counts.json`.
    static func tsharkFrames(_ truthFile: URL) throws -> (frames: [Set<Int>], total: Int) {
        let object = try json(truthFile)
        let lists = object["frames_by_filter"] as? [String: String] ?? [:]
        let counts = object["frame_counts_by_filter"] as? [String: Int] ?? [:]
        let result = mapping.map { entry in
            entry.tshark.reduce(into: Set<Int>()) { $0.formUnion(frames(lists[$1] ?? "")) }
        }
        // The ranges must say what the counts say (one script writes both, but check).
        for filter in mapping.flatMap(\.tshark) where counts[filter] != nil {
            #expect(frames(lists[filter] ?? "").count == counts[filter], "\(truthFile.lastPathComponent): \(filter)")
        }
        return (result, object["frames"] as? Int ?? 0)
    }

    /// Our frames per mapping entry, and the frames `packets` marks malformed.
    static func ourFrames(_ capture: URL) throws -> (frames: [Set<Int>], malformed: Set<Int>, total: Int) {
        var ours = [Set<Int>](repeating: [], count: mapping.count)
        var malformed: Set<Int> = []
        var total = 0
        _ = try OfflineCapture(path: capture.path).packets { line in
            total += 1
            for (i, entry) in mapping.enumerated() where entry.ours.contains(where: line.protocols.contains) {
                ours[i].insert(line.frame)
            }
            if line.malformed { malformed.insert(line.frame) }
        }
        return (ours, malformed, total)
    }

    static func listed(_ frames: Set<Int>) -> String {
        let sorted = frames.sorted()
        return sorted.prefix(12).map(String.init).joined(separator: " ")
            + (sorted.count > 12 ? " … (\(sorted.count))" : "")
    }

    @Test(arguments: captures)
    func countsEqualTshark(capture: String) throws {
        let (theirs, total) = try Self.tsharkFrames(Self.folder.appendingPathComponent(capture + ".tshark-counts.json"))
        let (ours, malformed, ourTotal) = try Self.ourFrames(Self.folder.appendingPathComponent(capture))
        #expect(ourTotal == total)
        #expect(malformed.isEmpty, "frames marked malformed in a capture of real traffic: \(Self.listed(malformed))")
        for (i, entry) in Self.mapping.enumerated() {
            let key = "\(capture): \(entry.name)"
            let onlyOurs = ours[i].subtracting(theirs[i]), onlyTshark = theirs[i].subtracting(ours[i])
            if let known = Self.knownDifferences[key] {
                #expect(
                    onlyOurs == Self.frames(known.onlyOurs) && onlyTshark == Self.frames(known.onlyTshark),
                    "\(key): pinned difference changed — only ours now \(Self.listed(onlyOurs)), only tshark's \(Self.listed(onlyTshark))"
                )
            } else {
                #expect(
                    onlyOurs.isEmpty && onlyTshark.isEmpty,
                    "\(key): ours \(ours[i].count) tshark \(theirs[i].count); only ours: \(Self.listed(onlyOurs)); only tshark's: \(Self.listed(onlyTshark))"
                )
            }
        }
    }

    // MARK: the tunnels' own truth

    @Test(arguments: tunnelTruths)
    func callInsideTheTunnelIsJudgedVPN(stem: String) throws {
        let truth = try Self.json(Self.folder.appendingPathComponent(stem + ".tunnel.json"))
        let tunnel = try #require(truth["tunnel"] as? String)
        #expect(truth["path"] as? String == "vpn")
        let capture = Self.folder.appendingPathComponent(try #require(truth["capture"] as? String))
        func ends(_ key: String) -> Set<String>? {
            (truth[key] as? [String: Any]).map { Set([$0["local"] as? String ?? "", $0["remote"] as? String ?? ""]) }
        }
        let outer = try #require(ends("outer")), inner = try #require(ends("innerMedia"))
        // The media senders' own record: packets each way through the tunnel.
        let media = truth["media"] as? [[String: Any]] ?? []
        #expect(
            media.count == 2 && media.allSatisfy { ($0["received"] as? Int ?? 0) >= 150 },
            "the tunnel carried the call: \(media)"
        )
        let scan = try OfflineCapture(path: capture.path).analyzeCalls(context: NetworkContext())
        let segments = scan.calls.flatMap(\.segments)
        // An encrypted tunnel is judged on its outer flow, a clear one (L2TP, GRE, PPTP) on the inner media;
        // an outer flow without ports (plain ESP) is named by its two hosts.
        let match = segments.first {
            let ends = Set(["\($0.local)", "\($0.remote)"])
            return ends == outer || Set(["\($0.local.address)", "\($0.remote.address)"]) == outer || ends == inner
        }
        let segment = try #require(
            match,
            Comment(
                rawValue: "\(stem): no segment on \(outer.sorted()) or \(inner.sorted()); ours: "
                    + segments.map { "\($0.path) \($0.local)⇄\($0.remote)" }.joined(separator: "; ")
            )
        )
        #expect(segment.path == .vpn, "\(stem)")
        #expect(segment.tunnel == tunnel, "\(stem): tunnel \(segment.tunnel ?? "none")")
    }

    // MARK: broken tunnel headers

    enum Report: String {
        /// `packets` shows the frame `[malformed]` ("malformed": true in JSON).
        case marked
        /// Only FrameDecoder's capture-wide `counters.malformed` counts it; the packet line is not marked.
        case countedOnly
        /// Neither: the packet shows as plain UDP (or as intact) with nothing said.
        case silent
    }

    /// Broken packets that are not marked, by "capture frame N mutation", with what happens instead.
    static let unmarked: [String: (report: Report, why: String)] = [:]

    @Test(arguments: malformedSets)
    func brokenTunnelHeadersAreMarkedMalformed(set: String) throws {
        let manifest = try Self.json(Self.malformedFolder.appendingPathComponent(set + ".json"))
        let source = try #require(manifest["source"] as? String)
        let entries = try #require(manifest["frames"] as? [[String: Any]])
        let capture = Self.malformedFolder.appendingPathComponent(set + ".pcap")
        let name = capture.lastPathComponent

        // Decoding never stops or crashes: every frame gets a line, and analyze and conversations finish.
        let (ours, marked, total) = try Self.ourFrames(capture)
        #expect(total == entries.count)
        _ = try OfflineCapture(path: capture.path).analyzeCalls(context: NetworkContext())
        _ = try OfflineCapture(path: capture.path).conversations()

        // What FrameDecoder alone counts as malformed, frame by frame.
        var counted: Set<Int> = []
        let offline = try OfflineCapture(path: capture.path)
        var decoder = FrameDecoder(link: offline.link)
        decoder.followsICMPQuotes = true
        try offline.file.forEachPacket { meta, bytes in
            let before = decoder.counters.malformed
            decoder.decode(bytes, at: meta.timestamp) { _ in }
            if decoder.counters.malformed > before { counted.insert(meta.frame) }
        }

        let (original, _) = try Self.tsharkFrames(Self.folder.appendingPathComponent(source + ".tshark-counts.json"))
        var broken = 0
        for entry in entries {
            let frame = try #require(entry["frame"] as? Int)
            guard let mutation = entry["mutation"] as? String else {
                // A good packet keeps the decoding tshark gives its original in the source capture.
                let sourceFrame = try #require(entry["sourceFrame"] as? Int)
                #expect(!marked.contains(frame), "\(name) frame \(frame): a good packet marked malformed")
                for (i, mappingEntry) in Self.mapping.enumerated() {
                    #expect(
                        ours[i].contains(frame) == original[i].contains(sourceFrame),
                        "\(name) frame \(frame) (\(source) frame \(sourceFrame)): \(mappingEntry.name) ours \(ours[i].contains(frame)) tshark \(original[i].contains(sourceFrame))"
                    )
                }
                continue
            }
            broken += 1
            let report: Report = marked.contains(frame) ? .marked : counted.contains(frame) ? .countedOnly : .silent
            let key = "\(name) frame \(frame) \(mutation)"
            if let gap = Self.unmarked[key] {
                #expect(
                    report == gap.report,
                    "\(key): now \(report.rawValue), pinned as \(gap.report.rawValue) — update `unmarked`"
                )
            } else {
                #expect(
                    report == .marked,
                    "\(key) (\(entry["detail"] as? String ?? "")): \(report.rawValue), not marked malformed"
                )
            }
        }
        #expect(broken >= 3, "each set breaks several tunnel headers")
        let pinned = Self.unmarked.keys.filter { $0.hasPrefix(name + " ") }
        let present = Set(
            entries.compactMap { e in
                (e["mutation"] as? String).map { "\(name) frame \(e["frame"] as? Int ?? 0) \($0)" }
            }
        )
        #expect(
            Set(pinned).isSubset(of: present),
            "pinned frames that no longer exist: \(Set(pinned).subtracting(present).sorted())"
        )
    }
}
