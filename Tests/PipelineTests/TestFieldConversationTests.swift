import Foundation
import Pipeline
import Testing
import Wire

/// Every capture of the real test field has tshark's `-z conv,udp -z conv,tcp` table beside it
/// (`<capture>.tshark-conv.txt`, written when the capture was made). callpath's conversation table
/// must list the same conversations with the same frames each way, start and duration.
@Suite struct TestFieldConversationTests {
    static let root = SharedCaptures.repositoryRoot.appendingPathComponent("Captures")

    static let tables = SharedCaptures.testFieldFiles(endingIn: ".tshark-conv.txt")

    struct Row: Equatable {
        var transport: String
        var a: String
        var b: String
        var framesAToB: Int
        var framesBToA: Int
        var start: String
        var duration: String
    }

    /// tshark's rows: `A <-> B  frames(<-) bytes unit  frames(->) bytes unit  total…  start  duration`.
    static func parse(_ text: String) -> [Row] {
        var rows: [Row] = []
        var transport = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("UDP Conversations") { transport = "udp" }
            if line.hasPrefix("TCP Conversations") { transport = "tcp" }
            let words = line.split(separator: " ").map(String.init)
            guard words.count == 14, words[1] == "<->", let toA = Int(words[3]), let toB = Int(words[6]) else {
                continue
            }
            rows.append(
                Row(
                    transport: transport,
                    a: bracketed(words[0]),
                    b: bracketed(words[2]),
                    framesAToB: toB,
                    framesBToA: toA,
                    start: words[12],
                    duration: words[13]
                )
            )
        }
        return rows
    }

    static func bracketed(_ endpoint: String) -> String { CaptureVerdictTests.bracketed(endpoint) }

    @Test func everyScenarioHasItsTable() {
        #expect(Self.tables.count >= 20)
    }

    @Test(arguments: tables)
    func conversationsEqualTshark(table: String) throws {
        let url = Self.root.appendingPathComponent(table)
        let expected = Self.parse(try String(contentsOf: url, encoding: .utf8))
        let capture = url.path.replacingOccurrences(of: ".tshark-conv.txt", with: ".pcapng")
        let scan = try OfflineCapture(path: capture).conversations()
        let origin = scan.table.origin ?? Timestamp(nanoseconds: 0)
        let ours = scan.table.conversations.map { c in
            Row(
                transport: c.transport.rawValue,
                a: "\(c.a)",
                b: "\(c.b)",
                framesAToB: c.framesAToB,
                framesBToA: c.framesBToA,
                start: String(format: "%.9f", c.first.seconds(since: origin)),
                duration: String(format: "%.4f", c.duration)
            )
        }
        #expect(!expected.isEmpty)
        for row in expected {
            // tshark prints A as the side it saw first; frames and times must agree exactly as printed.
            let match = ours.first { $0.transport == row.transport && Set([$0.a, $0.b]) == Set([row.a, row.b]) }
            #expect(match == row, "\(table): tshark \(row), ours \(match.map { "\($0)" } ?? "none")")
        }
        #expect(ours.count == expected.count, "\(table): \(ours.count) conversations, tshark \(expected.count)")
    }
}
