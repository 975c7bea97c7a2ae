import Flows
import Foundation
import Wire

/// Renders a conversation table as an aligned text table, JSON or CSV.
public struct ConversationReport {
    public var conversations: [Conversation]
    public var origin: Timestamp

    public init(conversations: [Conversation], origin: Timestamp?) {
        self.conversations = conversations
        self.origin = origin ?? Timestamp(nanoseconds: 0)
    }

    func start(_ c: Conversation) -> Double { c.first.seconds(since: origin) }

    /// JSON array, one object per conversation (keys as documented in the README). Written through
    /// a `TextBuffer`: a capture can hold hundreds of thousands of conversations.
    public func json() -> String {
        var out = TextBuffer(capacity: conversations.count &* 200 &+ 16)
        out.append("[")
        for (i, c) in conversations.enumerated() {
            out.append(i == 0 ? "\n  {\"transport\":\"" : ",\n  {\"transport\":\"")
            out.append(c.transport == .udp ? "udp" : "tcp")
            out.append("\",\"a\":\"")
            out.append(c.a)
            out.append("\",\"b\":\"")
            out.append(c.b)
            out.append("\",\"framesAToB\":")
            out.append(decimal: c.framesAToB)
            out.append(",\"bytesAToB\":")
            out.append(decimal: c.bytesAToB)
            out.append(",\"framesBToA\":")
            out.append(decimal: c.framesBToA)
            out.append(",\"bytesBToA\":")
            out.append(decimal: c.bytesBToA)
            out.append(",\"start\":")
            Self.appendSeconds(c.first.nanoseconds &- origin.nanoseconds, to: &out)
            out.append(",\"duration\":")
            Self.appendSeconds(c.last.nanoseconds &- c.first.nanoseconds, to: &out)
            out.append("}")
        }
        out.append(conversations.isEmpty ? "]\n" : "\n]\n")
        return out.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    public static let csvHeader = "transport,a,b,framesAToB,bytesAToB,framesBToA,bytesBToA,start,duration"

    public func csv() -> String {
        var out = TextBuffer(capacity: conversations.count &* 120 &+ 80)
        out.append("transport,a,b,framesAToB,bytesAToB,framesBToA,bytesBToA,start,duration\n")
        for c in conversations {
            out.append(c.transport == .udp ? "udp," : "tcp,")
            out.append(c.a)
            out.append(",")
            out.append(c.b)
            for value in [c.framesAToB, c.bytesAToB, c.framesBToA, c.bytesBToA] {
                out.append(",")
                out.append(decimal: value)
            }
            out.append(",")
            Self.appendSeconds(c.first.nanoseconds &- origin.nanoseconds, to: &out)
            out.append(",")
            Self.appendSeconds(c.last.nanoseconds &- c.first.nanoseconds, to: &out)
            out.append("\n")
        }
        return out.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Exact decimal seconds from integer nanoseconds, without trailing zeros ("12.5", "0.000123").
    static func appendSeconds(_ nanoseconds: Int64, to out: inout TextBuffer) {
        if nanoseconds < 0 { out.append("-") }
        let magnitude = nanoseconds.magnitude
        out.append(decimal: magnitude / 1_000_000_000)
        let fraction = Int(magnitude % 1_000_000_000)
        guard fraction != 0 else { return }
        out.append(".")
        out.append(decimal: fraction, width: 9)
        var zeros = 0
        var rest = fraction
        while rest % 10 == 0 {
            rest /= 10
            zeros += 1
        }
        out.truncate(to: out.count - zeros)
    }

    public func text() -> String {
        let header = [
            "Proto", "Address A", "Address B", "A→B frames", "A→B bytes", "B→A frames", "B→A bytes",
            "Frames", "Bytes", "Rel start", "Duration",
        ]
        let rows = conversations.map { c in
            [
                c.transport.rawValue.uppercased(), "\(c.a)", "\(c.b)", "\(c.framesAToB)", "\(c.bytesAToB)",
                "\(c.framesBToA)", "\(c.bytesBToA)", "\(c.frames)", "\(c.bytes)",
                String(format: "%.6f", start(c)), String(format: "%.4f", c.duration),
            ]
        }
        guard !rows.isEmpty else { return "No UDP or TCP conversations in this capture.\n" }
        let leftAligned: Set<Int> = [0, 1, 2]
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return leftAligned.contains(i) ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = line(header) + "\n"
        for row in rows { out += line(row) + "\n" }
        let udp = conversations.filter { $0.transport == .udp }.count
        out += "\(conversations.count) conversations (\(udp) UDP, \(conversations.count - udp) TCP)\n"
        return out
    }

    /// Exact decimal seconds from integer nanoseconds, without trailing zeros ("12.5", "0.000123").
    static func seconds(_ nanoseconds: Int64) -> String {
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        var fraction = magnitude % 1_000_000_000
        let whole = magnitude / 1_000_000_000
        guard fraction != 0 else { return "\(sign)\(whole)" }
        var digits = 9
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
