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
    func startText(_ c: Conversation) -> String { Self.seconds(c.first.nanoseconds - origin.nanoseconds) }
    func durationText(_ c: Conversation) -> String { Self.seconds(c.last.nanoseconds - c.first.nanoseconds) }

    /// JSON array, one object per conversation (keys as documented in the README).
    public func json() -> String {
        var out = "["
        out.reserveCapacity(conversations.count * 200)
        for (i, c) in conversations.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "  {\"transport\":\"\(c.transport.rawValue)\",\"a\":\"\(c.a)\",\"b\":\"\(c.b)\""
            out += ",\"framesAToB\":\(c.framesAToB),\"bytesAToB\":\(c.bytesAToB)"
            out += ",\"framesBToA\":\(c.framesBToA),\"bytesBToA\":\(c.bytesBToA)"
            out += ",\"start\":\(startText(c)),\"duration\":\(durationText(c))}"
        }
        out += conversations.isEmpty ? "]\n" : "\n]\n"
        return out
    }

    public static let csvHeader = "transport,a,b,framesAToB,bytesAToB,framesBToA,bytesBToA,start,duration"

    public func csv() -> String {
        var out = Self.csvHeader + "\n"
        for c in conversations {
            out += "\(c.transport.rawValue),\(c.a),\(c.b),\(c.framesAToB),\(c.bytesAToB),"
            out += "\(c.framesBToA),\(c.bytesBToA),\(startText(c)),\(durationText(c))\n"
        }
        return out
    }

    public func text() -> String {
        let header = ["Proto", "Address A", "Address B", "A→B frames", "A→B bytes", "B→A frames", "B→A bytes",
                      "Frames", "Bytes", "Rel start", "Duration"]
        let rows = conversations.map { c in
            [c.transport.rawValue.uppercased(), "\(c.a)", "\(c.b)", "\(c.framesAToB)", "\(c.bytesAToB)",
             "\(c.framesBToA)", "\(c.bytesBToA)", "\(c.frames)", "\(c.bytes)",
             String(format: "%.6f", start(c)), String(format: "%.4f", c.duration)]
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
