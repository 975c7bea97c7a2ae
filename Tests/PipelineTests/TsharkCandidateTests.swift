import Foundation
import Judge
import Pipeline
import Testing

/// The addresses callpath's candidate map and relay lifecycles name must be ones tshark decoded from
/// the same STUN messages (truth/*.json `stun.address_attributes`): srflx/prflx candidates among the
/// XOR-MAPPED/MAPPED-ADDRESS values, relayed addresses among XOR-RELAYED-ADDRESS (or, for MS-TURN,
/// MAPPED-ADDRESS) values. A wrong XOR, byte order or dialect shows up as an address tshark never saw.
@Suite struct TsharkCandidateTests {
    @Test(.enabled(if: SharedCaptures.truthFolder != nil, "../shared/captures/public/truth is not present"))
    func candidatesAreAddressesTsharkDecoded() throws {
        var checked = 0
        var problems: [String] = []
        for truthFile in TsharkConversationTests.truthFiles {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: truthFile)) as? [String: Any]
            )
            guard let stun = object["stun"] as? [String: Any],
                let addresses = stun["address_attributes"] as? [String: [String: Int]],
                let path = object["path"] as? String
            else { continue }
            func values(_ names: [String]) -> Set<String> {
                Set(names.flatMap { addresses[$0]?.keys.map { CaptureVerdictTests.bracketed($0) } ?? [] })
            }
            let mapped = values([
                "stun:XOR-MAPPED-ADDRESS", "stun:MAPPED-ADDRESS", "classicstun:MAPPED_ADDRESS",
                "classicstun:XOR_MAPPED_ADDRESS",
            ])
            let relayed = values(["stun:XOR-RELAYED-ADDRESS", "stun:MAPPED-ADDRESS"])
            let scan = try OfflineCapture(path: SharedCaptures.publicFolder!.appendingPathComponent(path).path)
                .analyzeCalls(context: NetworkContext())
            for call in scan.calls {
                for candidate in call.candidates
                where ["srflx", "prflx"].contains(candidate.type) && !candidate.source.hasPrefix("a=candidate") {
                    checked += 1
                    if !mapped.contains("\(candidate.address)") {
                        problems.append("\(path): \(candidate.type) \(candidate.address) not decoded by tshark")
                    }
                }
                for relay in call.relays {
                    guard let address = relay.relayed else { continue }
                    checked += 1
                    if !relayed.contains("\(address)") {
                        problems.append("\(path): relayed \(address) not decoded by tshark")
                    }
                }
            }
        }
        #expect(checked >= 20, "too few candidates checked: \(checked)")
        #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))
    }
}
