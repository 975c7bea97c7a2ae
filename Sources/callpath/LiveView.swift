import Judge
import Pipeline
import Report
import Wire

/// What `live` shows while it runs: a screen redrawn at most once a second on a terminal, or JSON
/// lines events for scripts.
struct LiveView {
    let device: String
    let terminal: Bool
    private var lastDraw: Int64 = 0
    private var lastStats: Int64 = 0
    private var lastPackets = 0
    private var packetsPerSecond = 0
    /// Per call id: the path and 5-tuple last reported, and whether it ended.
    private var known: [Int: (path: String, tuple: String, ended: Bool)] = [:]
    private var changedAt: [Int: Int64] = [:]

    init(device: String, terminal: Bool) {
        self.device = device
        self.terminal = terminal
    }

    /// A call with no media for this long is reported as ended.
    static let endedAfterNanoseconds: Int64 = 10_000_000_000

    func due(_ now: Int64) -> Bool { now - lastDraw >= 1_000_000_000 }

    mutating func update(
        _ calls: [CallVerdict],
        pipeline: CallPipeline,
        stats: (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)?,
        now: Int64
    ) {
        let elapsed = max(1, now - lastDraw)
        packetsPerSecond = Int(Int64(pipeline.packets - lastPackets) * 1_000_000_000 / elapsed)
        lastPackets = pipeline.packets
        lastDraw = now
        let report = CallReport(
            file: device,
            packets: pipeline.packets,
            first: pipeline.first,
            last: pipeline.last,
            linkType: "",
            calls: calls
        )
        var events: [String] = []
        for call in calls {
            guard let current = call.segments.last else { continue }
            let tuple = "\(current.local)-\(current.remote)"
            let ended = (pipeline.last?.nanoseconds ?? now) - call.end.nanoseconds > Self.endedAfterNanoseconds
            if let previous = known[call.id] {
                if previous.path != current.path.rawValue || previous.tuple != tuple {
                    events.append(event("path-changed", report.callJSON(call)))
                    changedAt[call.id] = now
                }
                if ended && !previous.ended { events.append(event("call-ended", report.callJSON(call))) }
            } else {
                events.append(event("call-started", report.callJSON(call)))
            }
            known[call.id] = (current.path.rawValue, tuple, ended)
        }
        if terminal {
            draw(calls, report: report, stats: stats, now: now)
        } else {
            if now - lastStats >= 5_000_000_000 {
                lastStats = now
                events.append(
                    "{\"event\":\"stats\",\"packets\":\(pipeline.packets),\"packetsPerSecond\":\(packetsPerSecond)"
                        + ",\"received\":\(stats?.received ?? 0),\"dropped\":\(stats?.dropped ?? 0)"
                        + ",\"interfaceDropped\":\(stats?.interfaceDropped ?? 0),\"calls\":\(calls.count)}"
                )
            }
            if !events.isEmpty { FileHandleWriter.standardOutput.write(events.joined(separator: "\n") + "\n") }
        }
    }

    func event(_ name: String, _ callJSON: String) -> String {
        "{\"event\":\"\(name)\",\"call\":\(callJSON)}"
    }

    func draw(
        _ calls: [CallVerdict],
        report: CallReport,
        stats: (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)?,
        now: Int64
    ) {
        var out = "\u{1B}[H\u{1B}[2J"
        out += "callpath live on \(device)   \(report.packets) packets   \(packetsPerSecond) packets/s"
        out += "   dropped \(stats?.dropped ?? 0)   (Ctrl-C stops)\n\n"
        if calls.isEmpty { out += "  waiting for calls: no RTP/SRTP media or call-like tunnel traffic yet\n" }
        for call in calls {
            guard let s = call.segments.last else { continue }
            let recent = changedAt[call.id].map { now - $0 < 10_000_000_000 } ?? false
            let path =
                s.path.rawValue.uppercased() + (s.tunnel.map { " (\($0))" } ?? "")
                + (s.relay.map { " via \($0)" } ?? "")
            out += "  call \(call.id)  \(call.endpointText(call.local)) ⇄ \(call.endpointText(call.remote))  "
            out += recent ? "\u{1B}[1;33mPATH CHANGED → \(path)\u{1B}[0m" : path
            let lost = call.streams.compactMap(\.lost).reduce(0, +)
            let expected = call.streams.reduce(0) { $0 + $1.packets } + lost
            let loss = expected > 0 ? String(format: "  loss %.1f%%", 100 * Double(lost) / Double(expected)) : ""
            out += "  \(s.packets) packets\(loss)  segments \(call.segments.count)\n"
        }
        FileHandleWriter.standardOutput.write(out)
    }

    /// The final word: a summary on the terminal, or the summary event for scripts.
    func finish(_ report: CallReport, dropped: UInt32) {
        if terminal {
            FileHandleWriter.standardOutput.write("\n" + report.text(explain: false))
            if dropped > 0 {
                ExitStatus.printError(
                    "warning: libpcap dropped \(dropped) packets; verdicts may miss media (use a larger --buffer-size or a -f filter)"
                )
            }
        } else {
            let json = report.json().replacingOccurrences(of: "\n", with: "")
            FileHandleWriter.standardOutput.write("{\"event\":\"summary\"," + json.dropFirst() + "\n")
        }
    }
}
