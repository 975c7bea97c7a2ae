import Capture
import Flows
import Foundation
import Pipeline
import Testing
import Wire

/// Compares `callpath conversations` with tshark 4.0's `-z conv,udp -z conv,tcp`, recorded in
/// ../shared/captures/public/truth/ (ground truth from outside our code). Runs whenever ../shared exists.
@Suite struct TsharkConversationTests {
    static let truthFiles: [URL] = {
        guard let folder = SharedCaptures.truthFolder,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [] }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix("_") }.sorted().map {
            folder.appendingPathComponent($0)
        }
    }()

    /// 5-tuples that tshark 4.0.17 lists as two rows because another dissector opened a conversation
    /// of its own mid-flow (a new `udp.stream`): SNMP for each request/response pair it tracks, SDP for
    /// the RTP/RTCP ports it announces. One 5-tuple is one conversation for callpath; the test merges
    /// tshark's rows (frames and bytes added, times spanned) and compares the sums.
    static let documentedSplits = [
        // frame 48 is stream 4; the SNMP response in frame 49 starts stream 5 on the same ports
        "sipcapture-heplify/rtp_rtcp_sip_ipv4_udp.pcap: udp 200.57.7.194:1161 <-> 200.57.7.197:161",
        // frame 387 is stream 9; frame 845 starts stream 20
        "sipcapture-heplify/rtp_rtcp_sip_ipv4_udp.pcap: udp 10.52.10.15:161 <-> 200.57.7.205:1026",
        // RTP set up by SDP: frame 499 (8000→40376) is stream 13, frame 522 (40376→8000) stream 17
        "sipcapture-heplify/rtp_rtcp_sip_ipv4_udp.pcap: udp 200.57.7.196:40376 <-> 200.57.7.204:8000",
        // RTCP likewise: frame 504 is stream 15, frame 523 stream 18
        "sipcapture-heplify/rtp_rtcp_sip_ipv4_udp.pcap: udp 200.57.7.196:40377 <-> 200.57.7.204:8001",
    ]

    @Test(
        "conversations equal tshark's on every public capture",
        .enabled(if: SharedCaptures.truthFolder != nil, "../shared/captures/public/truth is not present")
    )
    func everyPublicCaptureMatchesTshark() throws {
        #expect(Self.truthFiles.count > 50, "expected the whole public capture set")
        var mismatches: [String] = []
        var splitTuples: [String] = []
        var compared = 0
        for truthFile in Self.truthFiles {
            var truth = try TsharkTruth(contentsOf: truthFile)
            for split in truth.mergeSplitRows() { splitTuples.append("\(truth.path): \(split)") }
            let capture = SharedCaptures.publicFolder!.appendingPathComponent(truth.path).path
            let scan = try OfflineCapture(path: capture).conversations()
            let ours = scan.table.conversations
            let origin = scan.table.origin ?? Timestamp(nanoseconds: 0)
            mismatches += truth.differences(from: ours, origin: origin).map { "\(truth.path): \($0)" }
            compared += truth.conversations.count
        }
        #expect(compared > 500)
        #expect(splitTuples.sorted() == Self.documentedSplits.sorted())
        #expect(
            mismatches.isEmpty,
            Comment(rawValue: "\(mismatches.count) mismatches:\n" + mismatches.joined(separator: "\n"))
        )
    }
}

/// One capture's tshark conversations, as recorded in its truth JSON.
struct TsharkTruth {
    struct Row {
        var transport: Transport
        var a: String
        var b: String
        var framesAToB: Int
        var framesBToA: Int
        var bytesAToB: Int?
        var bytesBToA: Int?
        var start: Double
        var duration: Double
    }

    var path: String
    var conversations: [Row] = []

    init(contentsOf url: URL) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        path = try #require(object["path"] as? String ?? object["file"] as? String)
        let tables = object["conversations"] as? [String: Any] ?? [:]
        for transport in Transport.allCases {
            for row in tables[transport.rawValue] as? [[String: Any]] ?? [] {
                let exact = row["bytes_exact"] as? Bool ?? false
                conversations.append(
                    Row(
                        transport: transport,
                        a: Self.endpoint(row["a_addr"], row["a_port"]),
                        b: Self.endpoint(row["b_addr"], row["b_port"]),
                        framesAToB: row["frames_a_to_b"] as? Int ?? -1,
                        framesBToA: row["frames_b_to_a"] as? Int ?? -1,
                        bytesAToB: exact ? row["bytes_a_to_b"] as? Int : Self.plainBytes(row["tshark_bytes_a_to_b"]),
                        bytesBToA: exact ? row["bytes_b_to_a"] as? Int : Self.plainBytes(row["tshark_bytes_b_to_a"]),
                        start: Double(row["rel_start"] as? String ?? "") ?? .nan,
                        duration: Double(row["duration"] as? String ?? "") ?? .nan
                    )
                )
            }
        }
    }

    /// Merges rows that share one 5-tuple (see `documentedSplits`); returns the merged tuples.
    mutating func mergeSplitRows() -> [String] {
        var merged: [Row] = []
        var splits: [String] = []
        for row in conversations.sorted(by: { $0.start < $1.start }) {
            let key = Set([row.a, row.b])
            guard let i = merged.firstIndex(where: { $0.transport == row.transport && Set([$0.a, $0.b]) == key }) else {
                merged.append(row)
                continue
            }
            var m = merged[i]
            let sameDirection = m.a == row.a
            m.framesAToB += sameDirection ? row.framesAToB : row.framesBToA
            m.framesBToA += sameDirection ? row.framesBToA : row.framesAToB
            let (extraAToB, extraBToA) = sameDirection ? (row.bytesAToB, row.bytesBToA) : (row.bytesBToA, row.bytesAToB)
            m.bytesAToB = m.bytesAToB.flatMap { a in extraAToB.map { a + $0 } }
            m.bytesBToA = m.bytesBToA.flatMap { b in extraBToA.map { b + $0 } }
            m.duration = max(m.start + m.duration, row.start + row.duration) - m.start
            merged[i] = m
            let ends = [row.a, row.b].sorted()
            splits.append("\(row.transport) \(ends[0]) <-> \(ends[1])")
        }
        conversations = merged
        return Array(Set(splits))
    }

    static func endpoint(_ address: Any?, _ port: Any?) -> String {
        let text = address as? String ?? "?"
        return text.contains(":") ? "[\(text)]:\(port as? Int ?? -1)" : "\(text):\(port as? Int ?? -1)"
    }

    /// tshark prints exact byte counts only below 10 000 ("1234 bytes"); "kB" texts are rounded.
    static func plainBytes(_ text: Any?) -> Int? {
        guard let text = text as? String, text.hasSuffix(" bytes") else { return nil }
        return Int(text.dropLast(6))
    }

    /// Every difference between tshark's rows and ours, one line each.
    func differences(from ours: [Conversation], origin: Timestamp) -> [String] {
        var result: [String] = []
        var unmatched = ours
        for row in conversations {
            guard
                let index = unmatched.firstIndex(where: {
                    $0.transport == row.transport && "\($0.a)" == row.a && "\($0.b)" == row.b
                        && $0.framesAToB == row.framesAToB && $0.framesBToA == row.framesBToA
                })
                    ?? unmatched.firstIndex(where: {
                        $0.transport == row.transport && Set(["\($0.a)", "\($0.b)"]) == Set([row.a, row.b])
                    })
            else {
                result.append(
                    "missing \(row.transport) \(row.a) <-> \(row.b) (\(row.framesAToB)/\(row.framesBToA) frames)"
                )
                continue
            }
            let c = unmatched.remove(at: index)
            let label = "\(row.transport) \(row.a) <-> \(row.b)"
            if "\(c.a)" != row.a { result.append("\(label): A is \(c.a) in ours") }
            if c.framesAToB != row.framesAToB || c.framesBToA != row.framesBToA {
                result.append(
                    "\(label): frames \(c.framesAToB)/\(c.framesBToA), tshark \(row.framesAToB)/\(row.framesBToA)"
                )
            }
            if let bytes = row.bytesAToB, bytes != c.bytesAToB {
                result.append("\(label): bytesAToB \(c.bytesAToB), tshark \(bytes)")
            }
            if let bytes = row.bytesBToA, bytes != c.bytesBToA {
                result.append("\(label): bytesBToA \(c.bytesBToA), tshark \(bytes)")
            }
            let start = c.first.seconds(since: origin)
            if !(abs(start - row.start) < 2e-6) { result.append("\(label): start \(start), tshark \(row.start)") }
            if !(abs(c.duration - row.duration) < 1e-4) {
                result.append("\(label): duration \(c.duration), tshark \(row.duration)")
            }
        }
        for c in unmatched {
            result.append("extra \(c.transport) \(c.a) <-> \(c.b) (\(c.framesAToB)/\(c.framesBToA) frames)")
        }
        return result
    }
}
