import ArgumentParser
import Capture
import Dissect
import Pipeline
import Report

/// Output formats of `packets`.
enum PacketFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct Packets: ParsableCommand {
    // Named here: otherwise ArgumentParser derives the name from the type at each start, by
    // reflection that costs more than a thousand packets' lines.
    static let configuration = CommandConfiguration(
        commandName: "packets",
        abstract:
            "One line per packet, like tshark's summary: frame, time, source → destination, protocol stack, key fields.",
        discussion: """
            Protocols are recognised from the payload first (RFC 7983 first byte, STUN cookie and length, \
            RTP sequence continuity per SSRC, TLS/DTLS record headers…), ports only as hints. Names form \
            a fixed lowercase vocabulary: \(ProtocolName.allCases.map { "\($0.text)" }.joined(separator: ", ")).

            --format json writes one object per line: frame, time (epoch seconds with nanoseconds), src, dst, \
            srcPort, dstPort, transport, protocols, info (and "malformed": true where a recognised protocol \
            did not decode).

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: "A pcap or pcapng capture file.")
    var file: String

    @Option(name: .shortAndLong, help: "Output format: text or json (one object per line).")
    var format: PacketFormat = .text

    @Option(name: .customLong("protocol"), help: "Keep only packets carrying this protocol (e.g. stun, rtp, tls).")
    var protocolName: String?

    func validate() throws {
        if let protocolName, ProtocolName(text: protocolName) == nil {
            throw ValidationError(
                "unknown protocol '\(protocolName)'; one of: \(ProtocolName.allCases.map { "\($0.text)" }.joined(separator: ", "))"
            )
        }
    }

    func run() throws {
        let lines = PacketLineText(json: format == .json, filter: protocolName.flatMap { ProtocolName(text: $0) })
        let scan: OfflineCapture.PacketScan
        do {
            scan = try OfflineCapture(path: file).packets(rendering: lines) {
                FileHandleWriter.standardOutput.write($0)
            }
        } catch {
            throw ExitStatus.fail(error)
        }
        if let truncation = scan.truncation {
            throw ExitStatus.fail(truncation)
        }
    }
}
