import ArgumentParser
import Capture
import Judge
import Pipeline
import Report
import Wire

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Say which way each call's media went: direct, vpn, srflx (STUN through NAT) or relay (TURN).",
        discussion: """
            Groups media into calls (ICE sessions, SIP dialogs, call-like tunnel traffic), judges every \
            segment of every call with the packets that prove it, and shows path changes over time.

            \(ExitStatus.helpText)
              1   (with --expect) some call took another path than expected
            """
    )

    @Argument(help: "One or more pcap or pcapng capture files.")
    var files: [String]

    @Option(
        name: .shortAndLong,
        help: "Output format: text, json, csv or html (a page with path diagrams and timelines)."
    )
    var format: AnalyzeFormat = .text

    @Flag(help: "Show the evidence behind each verdict (frames, attributes, rules).")
    var explain = false

    @OptionGroup var network: NetworkOptions

    @Option(help: "Exit with status 1 unless every call took this path: direct, vpn, srflx or relay.")
    var expect: MediaPath?

    func run() throws {
        let context = network.context
        var reports: [CallReport] = []
        var failure: CaptureError? = nil
        for file in files {
            do {
                let capture = try OfflineCapture(path: file)
                let scan = try capture.analyzeCalls(context: context)
                var notes: [String] = []
                if let tunnel = scan.tunnelInterface { notes.append("captured on a tunnel interface (\(tunnel))") }
                reports.append(
                    CallReport(
                        file: file,
                        packets: scan.packets,
                        first: scan.first,
                        last: scan.last,
                        linkType: capture.file.linkType.name,
                        calls: scan.calls,
                        notes: notes
                    )
                )
                if let truncation = scan.truncation {
                    failure = failure ?? truncation; ExitStatus.printError(truncation.message)
                }
            } catch {
                ExitStatus.printError(error.message)
                failure = failure ?? error
            }
        }
        let output: String
        switch format {
        case .text: output = reports.map { $0.text(explain: explain) }.joined(separator: "\n")
        case .json:
            output =
                reports.count == 1 ? reports[0].json() : "[" + reports.map { $0.json() }.joined(separator: ",") + "]\n"
        case .csv: output = reports.enumerated().map { $0.element.csv(header: $0.offset == 0) }.joined()
        case .html: output = reports.map { $0.html() }.joined()
        }
        FileHandleWriter.standardOutput.write(output)
        if let failure { throw ExitCode(ExitStatus.code(for: failure)) }
        if let expect {
            let others = reports.flatMap(\.calls).filter { call in call.segments.contains { $0.path != expect } }
            if !others.isEmpty {
                ExitStatus.printError(
                    "\(others.count) call(s) took another path than \(expect.rawValue): call \(others.map { "\($0.id)" }.joined(separator: ", "))"
                )
                throw ExitCode(1)
            }
        }
    }
}

extension MediaPath: ExpressibleByArgument {}

enum AnalyzeFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv, html
}
