import Foundation
import Judge
import Wire

/// What `callpath analyze` reports for one capture file.
public struct CallReport {
    public var file: String
    public var packets: Int
    public var first: Timestamp?
    public var last: Timestamp?
    public var linkType: String
    public var calls: [CallVerdict]
    public var notes: [String]

    public init(
        file: String,
        packets: Int,
        first: Timestamp?,
        last: Timestamp?,
        linkType: String,
        calls: [CallVerdict],
        notes: [String] = []
    ) {
        self.file = file
        self.packets = packets
        self.first = first
        self.last = last
        self.linkType = linkType
        self.calls = calls
        self.notes = notes
    }

    var origin: Timestamp { first ?? Timestamp(nanoseconds: 0) }

    func relative(_ t: Timestamp) -> String { ConversationReport.seconds(t.nanoseconds - origin.nanoseconds) }

    // MARK: JSON

    /// The documented contract: `{"capture":{…},"calls":[{…,"segments":[…],"streams":[…]}]}`.
    public func json() -> String {
        var out = "{\"capture\":{\"file\":\(Self.quote(file)),\"packets\":\(packets)"
        out += ",\"start\":\(first.map { ConversationReport.seconds($0.nanoseconds) } ?? "null")"
        out += ",\"end\":\(last.map { ConversationReport.seconds($0.nanoseconds) } ?? "null")"
        out +=
            ",\"linkType\":\(Self.quote(linkType)),\"notes\":[\(notes.map(Self.quote).joined(separator: ","))]},\"calls\":["
        for (i, call) in calls.enumerated() {
            out += i == 0 ? "\n " : ",\n "
            out += callJSON(call)
        }
        out += calls.isEmpty ? "]}\n" : "\n]}\n"
        return out
    }

    /// One call as a JSON object (the `calls` element of the contract; also used by live events).
    public func callJSON(_ call: CallVerdict) -> String {
        var out = ""
        out += "{\"id\":\(call.id),\"start\":\(relative(call.start)),\"end\":\(relative(call.end))"
        out += ",\"local\":\(Self.quote(call.endpointText(call.local)))"
        out += ",\"remote\":\(Self.quote(call.endpointText(call.remote)))"
        out += ",\"path\":\(Self.quote(call.segments.last?.path.rawValue ?? "unknown"))"
        out += ",\"chain\":\(Self.quote(call.chain)),\"notes\":[\(call.notes.map(Self.quote).joined(separator: ","))]"
        out += ",\"segments\":["
        for (j, s) in call.segments.enumerated() {
            out += j == 0 ? "" : ","
            out += "{\"start\":\(relative(s.start)),\"end\":\(relative(s.end)),\"path\":\"\(s.path.rawValue)\""
            out += ",\"tunnel\":\(s.tunnel.map(Self.quote) ?? "null")"
            out += ",\"relay\":\(s.relay.map { Self.quote("\($0)") } ?? "null")"
            out += ",\"relayTransport\":\(s.relayTransport.map(Self.quote) ?? "null")"
            out += ",\"server\":\(s.server.map { Self.quote(s.endpointText($0)) } ?? "null")"
            out += ",\"local\":\(Self.quote(s.endpointText(s.local)))"
            out += ",\"remote\":\(Self.quote(s.endpointText(s.remote)))"
            out += ",\"transport\":\"\(s.transportName)\",\"packets\":\(s.packets)"
            out += ",\"confidence\":\(String(format: "%.2f", s.confidence)),\"firstFrame\":\(s.firstFrame)"
            if j > 0 {
                out +=
                    ",\"gapBefore\":\(ConversationReport.seconds(max(0, s.start.nanoseconds - call.segments[j - 1].end.nanoseconds)))"
            }
            out += ",\"evidence\":[\(s.evidence.map(Self.quote).joined(separator: ","))]}"
        }
        out += "],\"candidates\":["
        out += call.candidates.map { c in
            "{\"type\":\"\(c.type)\",\"address\":\(Self.quote("\(c.address)")),\"side\":\"\(c.side)\",\"source\":\(Self.quote(c.source)),\"frame\":\(c.frame)}"
        }.joined(separator: ",")
        out += "],\"nominations\":["
        out += call.nominations.map { n in
            "{\"local\":\(Self.quote("\(n.local)")),\"remote\":\(Self.quote("\(n.remote)")),\"frame\":\(n.frame),\"carriedMedia\":\(n.carriedMedia)}"
        }.joined(separator: ",")
        out += "],\"streams\":["
        out += call.streams.map { stream in
            "{\"ssrc\":\"0x\(String(format: "%08x", stream.ssrc))\",\"payloadType\":\(stream.payloadType.map { "\($0)" } ?? "null"),\"packets\":\(stream.packets),\"lost\":\(stream.lost.map { "\($0)" } ?? "null"),\"direction\":\(stream.direction.map(Self.quote) ?? "null")}"
        }.joined(separator: ",")
        out += "]}"
        return out
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: CSV (one line per segment)

    public static let csvHeader =
        "file,call,segment,start,end,path,tunnel,relay,relayTransport,local,remote,transport,packets,confidence"

    public func csv(header: Bool = true) -> String {
        var out = header ? Self.csvHeader + "\n" : ""
        for call in calls {
            for (j, s) in call.segments.enumerated() {
                let fields = [
                    file, "\(call.id)", "\(j + 1)", relative(s.start), relative(s.end), s.path.rawValue,
                    s.tunnel ?? "", s.relay.map { "\($0)" } ?? "", s.relayTransport ?? "", s.endpointText(s.local),
                    s.endpointText(s.remote), s.transportName, "\(s.packets)", String(format: "%.2f", s.confidence),
                ]
                out +=
                    fields.map {
                        $0.contains(",") || $0.contains("\"")
                            ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0
                    }
                    .joined(separator: ",") + "\n"
            }
        }
        return out
    }

    // MARK: text

    public func text(explain: Bool) -> String {
        var out = "\(file): \(packets) packets, \(linkType)"
        if let first, let last { out += ", \(ConversationReport.seconds(last.nanoseconds - first.nanoseconds)) s" }
        out += "\n"
        for note in notes { out += "  note: \(note)\n" }
        guard !calls.isEmpty else {
            return out
                + "  No calls found: no RTP/SRTP media, ICE checks or call-like tunnel traffic in this capture.\n"
        }
        for call in calls {
            let path =
                Set(call.segments.map(\.path)).count == 1 ? call.segments[0].path.rawValue.uppercased() : "CHANGED"
            let ends = "\(call.endpointText(call.local)) ⇄ \(call.endpointText(call.remote))"
            out += "\nCall \(call.id)  \(relative(call.start))–\(relative(call.end)) s  \(ends)  path: \(path)\n"
            out += "  \(call.chain)\n"
            for (j, s) in call.segments.enumerated() {
                if j > 0 {
                    let gap = max(0, s.start.nanoseconds - call.segments[j - 1].end.nanoseconds)
                    out += "  ↳ path change after a media gap of \(ConversationReport.seconds(gap)) s\n"
                }
                var line = "  [\(j + 1)] \(relative(s.start))–\(relative(s.end)) s  \(s.path.rawValue)"
                if let tunnel = s.tunnel {
                    line += " (\(tunnel)\(s.server.map { " to \(s.endpointText($0))" } ?? ""))"
                }
                if let relay = s.relay { line += " via \(relay) (\(s.relayTransport ?? "udp"))" }
                line += "  \(s.transportName) \(s.endpointText(s.local)) ⇄ \(s.endpointText(s.remote))"
                line += "  \(s.packets) packets  confidence \(String(format: "%.2f", s.confidence))"
                out += line + "\n"
                if explain { for evidence in s.evidence { out += "      · \(evidence)\n" } }
            }
            if !call.streams.isEmpty {
                out +=
                    "  streams: "
                    + call.streams.map {
                        "SSRC 0x\(String(format: "%08x", $0.ssrc))\($0.payloadType.map { " PT \($0)" } ?? "")\($0.direction.map { " \($0)" } ?? "") \($0.packets) packets"
                            + ($0.lost.map { ", \($0) lost" } ?? "")
                    }
                    .joined(separator: ", ") + "\n"
            }
            if explain {
                for c in call.candidates {
                    out += "  candidate \(c.side) \(c.type) \(c.address)  (frame \(c.frame): \(c.source))\n"
                }
                for r in call.relays {
                    var line = "  relay \(r.transport) \(r.client) → TURN \(r.server): Allocate frame \(r.requestFrame)"
                    if !r.errorCodes.isEmpty {
                        line += ", error \(r.errorCodes.map { "\($0)" }.joined(separator: "/"))"
                    }
                    line += r.successFrame.map { ", success frame \($0)" } ?? ", no answer"
                    if let relayed = r.relayed { line += ", relayed \(relayed)" }
                    if !r.peers.isEmpty {
                        line += ", permissions for \(r.peers.map { "\($0)" }.joined(separator: ", "))"
                    }
                    if !r.channels.isEmpty {
                        line += ", channels \(r.channels.map { "0x" + String($0, radix: 16) }.joined(separator: ", "))"
                    }
                    if let session = r.multiplexedSession {
                        line += ", MS-TURN multiplexed session 0x\(String(session, radix: 16))"
                    }
                    out += line + (r.carriedMedia ? ", carried the media" : "") + "\n"
                }
                for n in call.nominations {
                    out +=
                        "  nominated \(n.local) ⇄ \(n.remote) at frame \(n.frame)\(n.carriedMedia ? ", carried the media" : "")\n"
                }
            }
            for note in call.notes { out += "  note: \(note)\n" }
        }
        if !explain { out += "\n(--explain shows the evidence for each verdict)\n" }
        return out
    }
}
