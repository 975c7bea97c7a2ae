import Foundation
import Judge
import Wire

/// A self-contained HTML page per capture: for each call a path diagram (the field study's chain
/// view), a timeline of its segments with the gaps between them, the evidence and the candidates.
extension CallReport {
    static let colors: [MediaPath: String] = [
        .direct: "#2e7d32", .vpn: "#6a1b9a", .srflx: "#1565c0", .relay: "#e65100", .unknown: "#757575",
    ]

    public func html() -> String {
        var out = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>callpath: \(Self.escape(file))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
            h1{font-size:20px}h2{font-size:17px;margin-top:2em;border-top:1px solid #ddd;padding-top:1em}
            .path{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f5f5f5}.evidence{color:#444;font-size:13px}.note{color:#8a5a00}
            code{font-size:13px}
            </style></head><body>
            <h1>Which way did the media go? <code>\(Self.escape(file))</code></h1>
            <p>\(packets) packets, link type \(Self.escape(linkType))\(first.flatMap { f in last.map { ", \(ConversationReport.seconds($0.nanoseconds - f.nanoseconds)) s" } } ?? "").</p>

            """
        for note in notes { out += "<p class=\"note\">\(Self.escape(note))</p>\n" }
        if calls.isEmpty {
            out += "<p>No calls found: no RTP/SRTP media, ICE checks or call-like tunnel traffic in this capture.</p>\n"
        }
        let span = max(1, (last?.nanoseconds ?? 1) - origin.nanoseconds)
        for call in calls {
            let path = call.segments.last?.path ?? .unknown
            out +=
                "<h2>Call \(call.id) <span class=\"path\" style=\"background:\(Self.colors[path] ?? "#777")\">\(path.rawValue)</span>"
            let ends = "\(call.endpointText(call.local)) ⇄ \(call.endpointText(call.remote))"
            out += " <small>\(relative(call.start))–\(relative(call.end)) s, \(Self.escape(ends))</small></h2>\n"
            out += diagram(call)
            out += timeline(call, span: span)
            out +=
                "<table><tr><th>#</th><th>time (s)</th><th>path</th><th>5-tuple</th><th>packets</th><th>confidence</th><th>evidence</th></tr>\n"
            for (j, s) in call.segments.enumerated() {
                var label = s.path.rawValue
                if let tunnel = s.tunnel { label += " (\(tunnel))" }
                if let relay = s.relay { label += " via \(relay) \(s.relayTransport ?? "")" }
                out +=
                    "<tr><td>\(j + 1)</td><td>\(relative(s.start))–\(relative(s.end))</td><td>\(Self.escape(label))</td>"
                let ends = "\(s.endpointText(s.local)) ⇄ \(s.endpointText(s.remote))"
                out += "<td><code>\(s.transportName) \(Self.escape(ends))</code></td>"
                out += "<td>\(s.packets)</td><td>\(String(format: "%.2f", s.confidence))</td><td class=\"evidence\">"
                out += s.evidence.map(Self.escape).joined(separator: "<br>") + "</td></tr>\n"
            }
            out += "</table>\n"
            if !call.candidates.isEmpty {
                out += "<table><tr><th>side</th><th>candidate</th><th>address</th><th>learnt from</th></tr>\n"
                for c in call.candidates {
                    out +=
                        "<tr><td>\(c.side)</td><td>\(Self.escape(c.type))</td><td><code>\(Self.escape("\(c.address)"))</code></td>"
                    out += "<td class=\"evidence\">frame \(c.frame): \(Self.escape(c.source))</td></tr>\n"
                }
                out += "</table>\n"
            }
            for note in call.notes { out += "<p class=\"note\">\(Self.escape(note))</p>\n" }
        }
        return out + "</body></html>\n"
    }

    /// Boxes and arrows: PC → (NAT | VPN | TURN) → peer, for the call's last segment.
    func diagram(_ call: CallVerdict) -> String {
        guard let s = call.segments.last else { return "" }
        var hops: [(String, String)] = [("this host", s.endpointText(s.local))]
        switch s.path {
        case .direct: break
        case .srflx: hops.append(("NAT", "server-reflexive"))
        case .vpn: hops.append(("VPN \(s.tunnel ?? "")", s.server.map(s.endpointText) ?? "tunnel"))
        case .relay:
            if let tunnel = s.tunnel { hops.append(("VPN \(tunnel)", "tunnel")) }
            hops.append(("TURN \(s.relayTransport ?? "")", s.relay.map { "\($0)" } ?? "\(s.remote)"))
        case .unknown: hops.append(("?", ""))
        }
        hops.append(("peer", s.path == .relay || s.path == .vpn ? "" : s.endpointText(s.remote)))
        let width = 190, gap = 60, height = 64
        let total = hops.count * width + (hops.count - 1) * gap + 20
        let color = Self.colors[s.path] ?? "#777"
        var svg =
            "<svg width=\"\(total)\" height=\"\(height + 16)\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\">\n"
        svg +=
            "<defs><marker id=\"a\(call.id)\" markerWidth=\"10\" markerHeight=\"10\" refX=\"9\" refY=\"5\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(color)\"/></marker></defs>\n"
        for (i, hop) in hops.enumerated() {
            let x = 10 + i * (width + gap)
            svg +=
                "<rect x=\"\(x)\" y=\"8\" width=\"\(width)\" height=\"\(height - 8)\" rx=\"8\" fill=\"#fafafa\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            svg +=
                "<text x=\"\(x + width / 2)\" y=\"30\" text-anchor=\"middle\" font-weight=\"600\" font-size=\"14\">\(Self.escape(hop.0))</text>\n"
            svg +=
                "<text x=\"\(x + width / 2)\" y=\"50\" text-anchor=\"middle\" font-size=\"12\" fill=\"#555\">\(Self.escape(hop.1))</text>\n"
            if i + 1 < hops.count {
                svg +=
                    "<line x1=\"\(x + width)\" y1=\"\(8 + (height - 8) / 2)\" x2=\"\(x + width + gap - 4)\" y2=\"\(8 + (height - 8) / 2)\" stroke=\"\(color)\" stroke-width=\"3\" marker-end=\"url(#a\(call.id))\"/>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// Segments on the capture's time axis, coloured by path; the white between them is the media gap.
    func timeline(_ call: CallVerdict, span: Int64) -> String {
        let width = 1000.0, rowHeight = 18
        let height = call.segments.count * (rowHeight + 4) + 24
        var svg =
            "<svg width=\"\(Int(width) + 20)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n"
        svg +=
            "<line x1=\"10\" y1=\"\(height - 16)\" x2=\"\(Int(width) + 10)\" y2=\"\(height - 16)\" stroke=\"#999\"/>\n"
        svg +=
            "<text x=\"10\" y=\"\(height - 3)\">0 s</text><text x=\"\(Int(width) + 10)\" y=\"\(height - 3)\" text-anchor=\"end\">\(ConversationReport.seconds(span)) s</text>\n"
        for (j, s) in call.segments.enumerated() {
            let x0 = 10 + width * Double(s.start.nanoseconds - origin.nanoseconds) / Double(span)
            let x1 = 10 + width * Double(s.end.nanoseconds - origin.nanoseconds) / Double(span)
            let y = j * (rowHeight + 4) + 2
            let barWidth = String(format: "%.1f", max(2, x1 - x0))
            svg += "<rect x=\"\(String(format: "%.1f", x0))\" y=\"\(y)\" width=\"\(barWidth)\""
            svg += " height=\"\(rowHeight)\" fill=\"\(Self.colors[s.path] ?? "#777")\">"
            let title = "\(s.path.rawValue) \(s.endpointText(s.local)) ⇄ \(s.endpointText(s.remote))"
            svg += "<title>\(Self.escape(title))</title></rect>\n"
            let label = "\(s.path.rawValue)\(s.tunnel.map { " (\($0))" } ?? "")"
            let nearEnd = x1 > width - 90  // put the label left of a bar that ends near the axis end
            svg +=
                "<text x=\"\(String(format: "%.1f", nearEnd ? x0 - 4 : x1 + 4))\" y=\"\(y + 13)\"\(nearEnd ? " text-anchor=\"end\"" : "")>\(label)</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
