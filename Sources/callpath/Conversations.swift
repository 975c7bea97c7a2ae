import ArgumentParser
import Capture
import Pipeline
import Report

/// Output formats shared by the reporting commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}

struct Conversations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversations",
        abstract: "List UDP and TCP conversations, counted exactly as Wireshark's Conversations window does.",
        discussion: """
            Frames and bytes per direction (bytes are whole frames on the wire), start relative to the \
            capture's first frame, and duration. Tunnelled packets (GRE, IP-in-IP, Teredo, L2TP, GTP-U, \
            VXLAN) count for both their outer and inner conversation, as in Wireshark.

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: "A pcap or pcapng capture file.")
    var file: String

    @Option(name: .shortAndLong, help: "Output format: text (aligned table), json or csv.")
    var format: OutputFormat = .text

    func run() throws {
        let scan: OfflineCapture.ConversationScan
        do {
            scan = try OfflineCapture(path: file).conversations()
        } catch {
            throw ExitStatus.fail(error)
        }
        let report = ConversationReport(conversations: scan.table.conversations, origin: scan.table.origin)
        let output: String
        switch format {
        case .text: output = report.text()
        case .json: output = report.json()
        case .csv: output = report.csv()
        }
        FileHandleWriter.standardOutput.write(output)
        if let truncation = scan.truncation {
            throw ExitStatus.fail(truncation)
        }
    }
}
