import Foundation
import Testing

/// Runs the built `callpath` binary the way an admin does and checks exit codes, stdout and stderr.
@Suite struct CommandLineTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let linktypes = repositoryRoot.appendingPathComponent("Captures/linktypes").path

    /// The executable sits beside the test bundle in the build folder.
    static let executable: URL? = {
        var candidates = [
            Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        candidates += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for folder in candidates {
            let url = folder.appendingPathComponent("callpath")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = try #require(executable, "callpath binary not found next to the tests")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    @Test func jsonFollowsTheContract() throws {
        let outcome = try Self.run(["conversations", "--format", "json", "\(Self.linktypes)/ethernet.pcap"])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 4)
        for row in rows {
            #expect(
                Set(row.keys).isSuperset(of: [
                    "transport", "a", "b", "framesAToB", "bytesAToB", "framesBToA",
                    "bytesBToA", "start", "duration",
                ])
            )
        }
        #expect(rows.contains { ($0["a"] as? String)?.hasPrefix("[::1]:") == true })
    }

    @Test func csvHasAHeaderAndOneLinePerConversation() throws {
        let outcome = try Self.run(["conversations", "-f", "csv", "\(Self.linktypes)/linux-sll2.pcap"])
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.first == "transport,a,b,framesAToB,bytesAToB,framesBToA,bytesBToA,start,duration")
        #expect(lines.count == 5)
    }

    @Test func textTableIsAligned() throws {
        let outcome = try Self.run(["conversations", "\(Self.linktypes)/ppp.pcap"])
        #expect(outcome.status == 0)
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("Proto") == true)
        #expect(lines.last == "4 conversations (2 UDP, 2 TCP)")
    }

    @Test func missingFile() throws {
        let outcome = try Self.run(["conversations", "/nonexistent/call.pcapng"])
        #expect(outcome.status == 66)
        #expect(outcome.stderr == "callpath: /nonexistent/call.pcapng: no such file; check the path\n")
        #expect(outcome.stdout.isEmpty)
    }

    @Test func notACapture() throws {
        let outcome = try Self.run(["conversations", "\(Self.linktypes)/broken-not-a-capture.pcap"])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("not a pcap or pcapng capture"))
        #expect(outcome.stderr.split(separator: "\n").count == 1)
    }

    @Test func unsupportedLinkTypeIsNamed() throws {
        let outcome = try Self.run(["conversations", "\(Self.linktypes)/broken-wifi.pcap"])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("unsupported link type IEEE802_11"))
    }

    @Test func directoryIsNotACapture() throws {
        let outcome = try Self.run(["conversations", Self.linktypes])
        #expect(outcome.status == 66)
        #expect(outcome.stderr.contains("is a directory"))
    }

    /// A file cut mid-record: every complete packet is reported, then one warning with the byte
    /// offset where the broken record starts, and a distinct exit code.
    @Test func truncatedCaptureKeepsResults() throws {
        let whole = try Self.run(["conversations", "-f", "csv", "\(Self.linktypes)/ethernet.pcap"])
        let cut = try Self.run(["conversations", "-f", "csv", "\(Self.linktypes)/broken-truncated.pcap"])
        #expect(cut.status == 3)
        #expect(cut.stdout.split(separator: "\n").count == whole.stdout.split(separator: "\n").count)
        #expect(cut.stdout != whole.stdout)  // the last record is missing from the counts
        let size = try FileManager.default.attributesOfItem(atPath: "\(Self.linktypes)/ethernet.pcap")[.size] as? Int
        #expect(cut.stderr.contains("cut off mid-record at byte"))
        let lastRecordSize = try #require(size) - 37  // the cut file's length
        #expect(!cut.stderr.contains("at byte \(lastRecordSize),"))  // it names where the record starts, not the end
        #expect(cut.stderr.split(separator: "\n").count == 1)
    }

    @Test func helpDocumentsExitCodes() throws {
        let outcome = try Self.run(["conversations", "--help"])
        #expect(outcome.stdout.contains("EXIT STATUS"))
        #expect(outcome.stdout.contains("66"))
    }

    @Test func badFormatIsAUsageError() throws {
        let outcome = try Self.run(["conversations", "--format", "xml", "\(Self.linktypes)/ethernet.pcap"])
        #expect(outcome.status == 64)
    }
}

/// `analyze` on the project's own test-field captures, as an admin runs it.
@Suite struct AnalyzeCommandTests {
    static let captures = CommandLineTests.repositoryRoot.appendingPathComponent("Captures").path

    @Test func htmlHasADiagramAndATimelinePerCall() throws {
        let outcome = try CommandLineTests.run(["analyze", "-f", "html", "\(Self.captures)/sstp-drop/sstp-drop.pcapng"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(outcome.stdout.components(separatedBy: "<h2>Call ").count - 1 == 3)
        #expect(outcome.stdout.components(separatedBy: "<svg").count - 1 == 6)  // diagram + timeline per call
        #expect(outcome.stdout.hasSuffix("</html>\n"))
    }

    @Test func expectFailsWhenAnotherPathWasTaken() throws {
        let file = "\(Self.captures)/relay-forced/relay-forced.pcapng"
        #expect(try CommandLineTests.run(["analyze", "--expect", "relay", file]).status == 0)
        let other = try CommandLineTests.run(["analyze", "--expect", "direct", file])
        #expect(other.status == 1)
        #expect(other.stderr.contains("took another path than direct"))
    }

    @Test func captureWithoutCallsSaysSoPlainly() throws {
        let outcome = try CommandLineTests.run(["analyze", "\(CommandLineTests.linktypes)/ethernet.pcap"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("No calls found"))
    }

    /// The outer hosts of the IPsec tunnel in ipsec-esp.pcap, from strongSwan's own state
    /// (ipsec-esp.tunnel.json), not from callpath's output.
    static func espTunnelHosts() throws -> (client: String, server: String) {
        let url = URL(fileURLWithPath: "\(captures)/vpn-tunnels/ipsec-esp.tunnel.json")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let client = try #require(state["client"] as? [String: Any])
        return (try #require(client["local-host"] as? String), try #require(client["remote-host"] as? String))
    }

    /// Plain ESP (IP protocol 50) has no ports: the call is reported between the two hosts over
    /// `esp`, never as a UDP flow on port 0.
    @Test func espCallIsReportedBetweenHostsInText() throws {
        let hosts = try Self.espTunnelHosts()
        let outcome = try CommandLineTests.run([
            "analyze", "--explain", "\(Self.captures)/vpn-tunnels/ipsec-esp.pcap",
        ])
        #expect(outcome.status == 0)
        for host in [hosts.client, hosts.server] {
            #expect(!outcome.stdout.contains("\(host):0"), "a port-0 endpoint in:\n\(outcome.stdout)")
        }
        #expect(outcome.stdout.contains(" s  \(hosts.client) ⇄ \(hosts.server)  path: VPN\n"))
        #expect(outcome.stdout.contains("vpn (ipsec to \(hosts.server))  esp \(hosts.client) ⇄ \(hosts.server)  "))
    }

    @Test func espCallKeepsTheJSONContract() throws {
        let hosts = try Self.espTunnelHosts()
        let outcome = try CommandLineTests.run(["analyze", "-f", "json", "\(Self.captures)/vpn-tunnels/ipsec-esp.pcap"])
        #expect(outcome.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let capture = try #require(report["capture"] as? [String: Any])
        #expect(Set(capture.keys).isSuperset(of: ["file", "packets", "start", "end", "linkType", "notes"]))
        let calls = try #require(report["calls"] as? [[String: Any]])
        #expect(calls.count == 1)
        let call = try #require(calls.first)
        let callKeys: Set = [
            "id", "start", "end", "local", "remote", "path", "chain", "notes", "segments", "candidates", "nominations",
            "streams",
        ]
        #expect(Set(call.keys).isSuperset(of: callKeys))
        #expect(call["local"] as? String == hosts.client)
        #expect(call["remote"] as? String == hosts.server)
        #expect(call["path"] as? String == "vpn")
        let segments = try #require(call["segments"] as? [[String: Any]])
        #expect(segments.count == 1)
        let segment = try #require(segments.first)
        let segmentKeys: Set = [
            "start", "end", "path", "tunnel", "relay", "relayTransport", "server", "local", "remote", "transport",
            "packets", "confidence", "firstFrame", "evidence",
        ]
        #expect(Set(segment.keys).isSuperset(of: segmentKeys))
        #expect(segment["transport"] as? String == "esp")
        #expect(segment["tunnel"] as? String == "ipsec")
        #expect(segment["local"] as? String == hosts.client)
        #expect(segment["remote"] as? String == hosts.server)
        #expect(segment["server"] as? String == hosts.server)
    }

    @Test func badNetworkOptionsAreUsageErrors() throws {
        let outcome = try CommandLineTests.run([
            "analyze", "--corp-net", "10.0.0.0/40", "\(CommandLineTests.linktypes)/ethernet.pcap",
        ])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("not a CIDR prefix"))
    }
}

/// The network context an admin names changes the verdict's rule, not the facts.
@Suite struct NetworkContextOptionTests {
    static let stunClassic = CommandLineTests.repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/captures/public/ntop-nDPI/stun_classic.pcap").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: stunClassic), "../shared is not present"))
    func corporateNetworkIsDirect() throws {
        let plain = try CommandLineTests.run(["analyze", "--explain", Self.stunClassic])
        #expect(plain.stdout.contains("rule: same-lan"))
        let named = try CommandLineTests.run(["analyze", "--explain", "--corp-net", "172.16.0.0/12", Self.stunClassic])
        #expect(named.stdout.contains("rule: corporate-network"))
        #expect(named.stdout.contains("path: DIRECT"))
    }
}
