import Dissect
import Flows
import Wire

/// Renders `PacketLine`s as tshark-like text or as JSON lines (issue 3 item 8). Lines are taken
/// `inout` only so the analysis is read in place, never copied; they are not changed.
public struct PacketReport: Sendable {
    /// Text lines show times relative to this: the capture's first frame, as tshark does, also
    /// when lines are filtered out.
    private let origin: Timestamp
    /// Consecutive packets mostly fall in the same second.
    private var seconds = SecondsText()
    private var addresses = AddressText()
    /// `jsonNames`, held here so it is read without the lazy global's check on every line.
    private let protocolNames = Self.jsonNames

    public init(timesRelativeTo origin: Timestamp = Timestamp(nanoseconds: 0)) { self.origin = origin }

    /// `{"frame":1,"time":1700000000.123456789,"src":"…","dst":"…","srcPort":…,"dstPort":…,
    /// "transport":"udp","protocols":["eth","ipv4","udp","stun"],"info":"…"}`
    public mutating func appendJSON(_ line: inout PacketLine, to out: inout TextBuffer) {
        out.write(atMost: Self.jsonFieldsMost) { w in writeJSONFields(&line, &w) }
        // The info column is written in place and escaped there if it needs to be.
        out.startColumn()
        Self.describe(&line, into: &out)
        out.escapeColumnForJSON()
        out.append(line.malformed ? "\",\"malformed\":true}\n" : "\"}\n")
    }

    /// Everything before the info's text, at most `jsonFieldsMost` bytes. Always inlined: as the
    /// body of a closure it became a call of its own, with the writer kept in memory.
    @inline(__always)
    private mutating func writeJSONFields(_ line: inout PacketLine, _ w: inout UncheckedWriter) {
        w.text("{\"frame\":")
        w.decimal(line.frame)
        w.text(",\"time\":")
        w.time(line.time, cache: &seconds)
        w.text(",\"src\":")
        writeQuoted(line.source, &w)
        w.text(",\"dst\":")
        writeQuoted(line.destination, &w)
        w.text(",\"srcPort\":")
        if let port = line.sourcePort { w.unsigned(UInt64(port)) } else { w.text("null") }
        w.text(",\"dstPort\":")
        if let port = line.destinationPort { w.unsigned(UInt64(port)) } else { w.text("null") }
        switch line.transport {
        case .udp: w.text(",\"transport\":\"udp\",\"protocols\":[")
        case .tcp: w.text(",\"transport\":\"tcp\",\"protocols\":[")
        case nil: w.text(",\"transport\":null,\"protocols\":[")
        }
        writeProtocols(line.protocols, &w)
        w.text("],\"info\":\"")
    }

    /// The most `appendJSON` touches before the info: labels (95 bytes with a transport name, which
    /// is longer than `null`), frame, time, two quoted addresses (cached text touches 40 bytes
    /// each), two ports (5 digits each) and the protocol list, whose names are stored as 16-byte
    /// words (at most `LayerTrail.capacity` of them).
    static var jsonFieldsMost: Int {
        95 &+ UncheckedWriter.decimalMost &+ UncheckedWriter.timeMost
            &+ 2 &* (AddressText.most &+ 2) &+ 2 &* 5 &+ LayerTrail.capacity &* 16
    }

    @inline(__always)
    private mutating func writeQuoted(_ address: IPAddress?, _ w: inout UncheckedWriter) {
        guard let address else {
            w.text("null")
            return
        }
        w.byte(0x22)
        addresses.write(address, &w)
        w.byte(0x22)
    }

    /// `"eth","ipv4",…`: each name touches 16 bytes, which the reservation counts.
    @inline(__always)
    private func writeProtocols(_ trail: LayerTrail, _ w: inout UncheckedWriter) {
        protocolNames.withUnsafeBufferPointer { names in  // 256 entries: any raw value is in range
            for i in 0..<trail.count {
                let entry = names[Int(trail.rawValue(at: i))]
                w.words(entry.head, entry.tail, length: entry.length, droppingFirstByte: i == 0)
            }
        }
    }

    /// Per protocol name: `,"name"` as two little-endian words (at most 15 bytes: the longest
    /// name, "turn-channel", has 12) and its length.
    private static let jsonNames: [(head: UInt64, tail: UInt64, length: Int)] = (0...Int(UInt8.max)).map { raw in
        guard let name = ProtocolName(rawValue: UInt8(raw)) else { return (0, 0, 0) }
        let text = [0x2C, 0x22] + name.text.withUTF8Buffer { Array($0) } + [0x22]
        var words: (UInt64, UInt64) = (0, 0)
        for (i, byte) in text.prefix(16).enumerated() {
            if i < 8 {
                words.0 |= UInt64(byte) << UInt64(i * 8)
            } else {
                words.1 |= UInt64(byte) << UInt64((i - 8) * 8)
            }
        }
        return (words.0, words.1, Swift.min(text.count, 16))
    }

    /// `   12   0.123456 192.0.2.1:5000 → 198.51.100.2:3478  eth:ipv4:udp:stun  Binding request …`
    public mutating func appendText(_ line: inout PacketLine, to out: inout TextBuffer) {
        let relative = line.time.nanoseconds &- origin.nanoseconds
        out.append(decimal: line.frame)
        out.append(byte: 0x20)
        out.append(time: Timestamp(nanoseconds: relative))
        out.append(byte: 0x20)
        appendAddress(line.source, line.sourcePort, to: &out)
        out.append(" -> ")
        appendAddress(line.destination, line.destinationPort, to: &out)
        out.append(byte: 0x20)
        for i in 0..<line.protocols.count {
            if i > 0 { out.append(byte: 0x3A) }
            out.append(line.protocols[i].text)
        }
        out.append("  ")
        out.startColumn()
        Self.describe(&line, into: &out)
        if out.columnIsEmpty { out.truncate(to: out.count &- 2) }
        if line.malformed { out.append(" [malformed]") }
        out.append(byte: 0x0A)
    }

    /// `192.0.2.1:5000`, `[2001:db8::1]:5000`, an address alone without a port, or `-`.
    private mutating func appendAddress(_ address: IPAddress?, _ port: UInt16?, to out: inout TextBuffer) {
        guard let address else {
            out.append("-")
            return
        }
        out.write(atMost: AddressText.most &+ 3 &+ UncheckedWriter.decimalMost) { w in
            if address.isIPv6, port != nil { w.byte(0x5B) }
            addresses.write(address, &w)
            guard let port else { return }
            w.text(address.isIPv6 ? "]:" : ":")
            w.unsigned(UInt64(port))
        }
    }
}
