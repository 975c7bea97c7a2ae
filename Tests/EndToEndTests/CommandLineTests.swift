import Foundation
import Testing

/// Runs the built `callpath` binary the way an admin does and checks exit codes, stdout and stderr.
@Suite struct CommandLineTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let linktypes = repositoryRoot.appendingPathComponent("Captures/linktypes").path

    /// The executable sits beside the test bundle in the build folder.
    static let executable: URL? = {
        var candidates = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
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
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func jsonFollowsTheContract() throws {
        let outcome = try Self.run(["conversations", "--format", "json", "\(Self.linktypes)/ethernet.pcap"])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 4)
        for row in rows {
            #expect(Set(row.keys).isSuperset(of: ["transport", "a", "b", "framesAToB", "bytesAToB", "framesBToA",
                                                  "bytesBToA", "start", "duration"]))
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

    @Test func badNetworkOptionsAreUsageErrors() throws {
        let outcome = try CommandLineTests.run(["analyze", "--corp-net", "10.0.0.0/40", "\(CommandLineTests.linktypes)/ethernet.pcap"])
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
