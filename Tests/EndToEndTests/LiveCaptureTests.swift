import Foundation
import Testing

/// `callpath live` on a veth pair in a network namespace of the test's own, fed by tcpreplay with
/// captures from Captures/: it must reach the same verdicts as `callpath analyze` on the files, and
/// its -w output analyzed offline must too. Needs root, `ip netns` and tcpreplay; skipped otherwise.
@Suite(.serialized, .enabled(if: LiveEnvironment.problem == nil, "live test skipped: \(LiveEnvironment.problem ?? "")"))
struct LiveCaptureTests {
    static func shell(_ command: String) throws -> Int32 { try LiveEnvironment.shell(command) }
}

/// Why live capture cannot be tested here, or nil when it can.
enum LiveEnvironment {
    static let problem: String? = {
        if getuid() != 0 { return "not root" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpreplay") { return "tcpreplay not installed" }
        if (try? shell("ip netns add callpath-probe && ip netns del callpath-probe")) != 0 {
            return "ip netns does not work here"
        }
        return nil
    }()

    @discardableResult
    static func shell(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

}

extension LiveCaptureTests {
    /// Paths, from the analyze JSON of a capture: [path] per call, in order.
    static func paths(_ json: String) throws -> [String] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return (object["calls"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }

    static let captures = [
        "novpn-srflx/novpn-srflx.pcapng", "relay-forced/relay-forced.pcapng", "sstp-full/sstp-full.pcapng",
    ]

    @Test(arguments: captures)
    func liveMatchesOffline(capture: String) throws {
        let file = CommandLineTests.repositoryRoot.appendingPathComponent("Captures/\(capture)").path
        let namespace = "callpath-live-\(getpid())"
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("callpath-live-\(getpid()).pcapng")
            .path
        try Self.shell(
            "ip netns add \(namespace) && ip link add cpl\(getpid()) type veth peer name cpr\(getpid()) "
                + "&& ip link set cpr\(getpid()) netns \(namespace) && ip link set cpl\(getpid()) up "
                + "&& ip netns exec \(namespace) ip link set cpr\(getpid()) up"
        )
        defer { try? Self.shell("ip link del cpl\(getpid()); ip netns del \(namespace); rm -f \(output)") }

        let live = Process()
        live.executableURL = try #require(CommandLineTests.executable)
        live.arguments = ["live", "-i", "cpl\(getpid())", "--duration", "30", "-w", output]
        let stdout = Pipe()
        live.standardOutput = stdout
        live.standardError = FileHandle.nullDevice
        try live.run()
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try Self.shell("ip netns exec \(namespace) tcpreplay -q -i cpr\(getpid()) \(file)") == 0)
        Thread.sleep(forTimeInterval: 1)
        live.interrupt()  // SIGINT: stop, flush -w, print the summary, exit 0
        let lines = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
            separator: "\n"
        )
        live.waitUntilExit()
        #expect(live.terminationStatus == 0)

        let summary = try #require(lines.last.map(String.init))
        #expect(summary.hasPrefix("{\"event\":\"summary\""))
        #expect(summary.contains("dropped"))
        let offline = try CommandLineTests.run(["analyze", "--format", "json", file])
        let expected = try Self.paths(offline.stdout)
        #expect(!expected.isEmpty)
        #expect(try Self.paths(summary) == expected, "live verdicts differ from analyze on \(capture)")
        #expect(lines.contains { $0.hasPrefix("{\"event\":\"call-started\"") })
        let rewritten = try CommandLineTests.run(["analyze", "--format", "json", output])
        #expect(try Self.paths(rewritten.stdout) == expected, "-w output re-analyzed differs")
    }

    /// At top speed with a small kernel buffer the capture cannot keep up: whatever it missed must show
    /// as libpcap drops in the summary, never vanish.
    @Test func topSpeedReplayReportsDrops() throws {
        let file = CommandLineTests.repositoryRoot.appendingPathComponent("Captures/novpn-srflx/novpn-srflx.pcapng")
            .path
        let id = "\(getpid())t"
        let namespace = "callpath-top-\(id)"
        try Self.shell(
            "ip netns add \(namespace) && ip link add cpl\(id) type veth peer name cpr\(id) "
                + "&& ip link set cpr\(id) netns \(namespace) && ip link set cpl\(id) up "
                + "&& ip netns exec \(namespace) ip link set cpr\(id) up"
        )
        defer { try? Self.shell("ip link del cpl\(id); ip netns del \(namespace)") }
        let live = Process()
        live.executableURL = try #require(CommandLineTests.executable)
        live.arguments = ["live", "-i", "cpl\(id)", "--buffer-size", "1", "--duration", "40"]
        let stdout = Pipe()
        live.standardOutput = stdout
        live.standardError = FileHandle.nullDevice
        try live.run()
        Thread.sleep(forTimeInterval: 1.5)
        let loops = 60
        #expect(
            try Self.shell("ip netns exec \(namespace) tcpreplay -q --topspeed --loop=\(loops) -i cpr\(id) \(file)")
                == 0
        )
        Thread.sleep(forTimeInterval: 2)
        live.interrupt()
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        live.waitUntilExit()
        let summary = try #require(text.split(separator: "\n").last.map(String.init))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        let capture = try #require(object["capture"] as? [String: Any])
        let seen = capture["packets"] as? Int ?? 0
        let note = try #require((capture["notes"] as? [String])?.first { $0.hasPrefix("libpcap received") })
        let numbers = note.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let offline = try CommandLineTests.run(["analyze", "--format", "json", file])
        let perLoop = try #require(
            (try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [String: Any]).flatMap {
                ($0["capture"] as? [String: Any])?["packets"] as? Int
            }
        )
        let sent = perLoop * loops
        #expect(numbers.count >= 3)
        let dropped = numbers.count >= 2 ? numbers[1] : 0
        // Every packet sent is either seen or counted as dropped (a little slack for the veth queue).
        #expect(seen + dropped >= sent * 95 / 100, "seen \(seen) + dropped \(dropped) of \(sent) sent: \(note)")
        if seen < sent * 95 / 100 { #expect(dropped > 0) }
    }

    @Test func badFilterNamesTheFix() throws {
        let outcome = try CommandLineTests.run(["live", "-i", "lo", "-f", "udp port"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("capture filter \"udp port\" rejected"))
    }

    @Test func unknownInterfaceListsTheKnownOnes() throws {
        let outcome = try CommandLineTests.run(["live", "-i", "nosuch0"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("no interface named nosuch0; known interfaces:"))
        #expect(outcome.stderr.contains("lo"))
    }
}
