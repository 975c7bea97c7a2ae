import Foundation
import Judge
import Pipeline
import Testing

/// tshark's RTP stream analysis of every test-field capture (`<capture>.tshark-rtp.txt`, made by
/// Captures/tools/tshark-rtp-streams.sh): each stream tshark finds must be in one of callpath's
/// calls with the same SSRC, packet count and loss.
@Suite struct TestFieldRTPStreamTests {
    static let tables = SharedCaptures.testFieldFiles(endingIn: ".tshark-rtp.txt")

    struct Stream: Hashable {
        var ssrc: UInt32
        var packets: Int
        var lost: Int
    }

    /// Rows: start end src port dst port SSRC payload pkts lost (pct) …
    static func parse(_ text: String) -> [Stream] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 11, words[6].hasPrefix("0x"), let ssrc = UInt32(words[6].dropFirst(2), radix: 16),
                let packets = Int(words[8]), let lost = Int(words[9])
            else { return nil }
            return Stream(ssrc: ssrc, packets: packets, lost: lost)
        }
    }

    @Test func everyScenarioHasItsTable() {
        #expect(Self.tables.count >= 20)
    }

    @Test(arguments: tables)
    func streamsEqualTshark(table: String) throws {
        let url = CaptureVerdictTests.root.appendingPathComponent(table)
        let expected = Self.parse(try String(contentsOf: url, encoding: .utf8))
        let capture = url.path.replacingOccurrences(of: ".tshark-rtp.txt", with: ".pcapng")
        let scan = try OfflineCapture(path: capture).analyzeCalls(context: NetworkContext())
        let ours = scan.calls.flatMap(\.streams).map { Stream(ssrc: $0.ssrc, packets: $0.packets, lost: $0.lost ?? -1) }
        for stream in expected {
            #expect(ours.contains(stream), "\(table): tshark stream \(stream) not in ours: \(ours)")
        }
    }
}
