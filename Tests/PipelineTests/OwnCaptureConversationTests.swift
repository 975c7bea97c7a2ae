import Foundation
import Pipeline
import Testing
import Wire

/// The project's own captures in Captures/linktypes: one real exchange under every link layer
/// callpath decodes, each compared with tshark's conversation table recorded beside it.
@Suite struct OwnCaptureConversationTests {
    static let folder = SharedCaptures.repositoryRoot.appendingPathComponent("Captures/linktypes")

    static let captures: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".tshark.json") }.map { String($0.dropLast(".tshark.json".count)) }.sorted()
    }()

    @Test func everyLinkTypeIsPresent() {
        #expect(
            Self.captures
                == ["ethernet", "linux-sll", "linux-sll2", "loop", "null", "ppp", "qinq", "raw"].map {
                    "\($0).pcap"
                }
        )
    }

    @Test(arguments: captures)
    func conversationsEqualTshark(capture: String) throws {
        let truth = try TsharkTruth(contentsOf: Self.folder.appendingPathComponent(capture + ".tshark.json"))
        #expect(truth.conversations.count == 4, "two UDP (IPv4, IPv6) and two TCP conversations expected")
        let scan = try OfflineCapture(path: Self.folder.appendingPathComponent(capture).path).conversations()
        let differences = truth.differences(
            from: scan.table.conversations,
            origin: scan.table.origin ?? Timestamp(nanoseconds: 0)
        )
        #expect(differences.isEmpty, Comment(rawValue: differences.joined(separator: "\n")))
        #expect(scan.counters.malformed == 0)
    }
}
