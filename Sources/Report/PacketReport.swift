import Dissect
import Flows
import Wire

/// One line of `callpath packets`: a frame's addresses, protocol stack and decoded payload.
/// Built per frame and rendered at once, while the frame's bytes are still valid.
public struct PacketLine {
    public var frame: Int
    public var time: Timestamp
    public var source: IPAddress?
    public var destination: IPAddress?
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var transport: Transport?
    public var protocols: LayerTrail
    /// The payload decoders' findings (empty when the frame had no UDP/TCP payload).
    public var analysis = PacketAnalysis()
    /// The transport payload `analysis` refers to (valid only while the frame is being read).
    public var payload: UnsafeRawBufferPointer
    /// A TLS hello reassembled from several segments (`analysis.tlsHelloLocation == .reassembled`).
    public var reassembledHello: UnsafeRawBufferPointer
    /// What the innermost IP header carried when it was not UDP/TCP (ESP, GRE…).
    public var terminal: TerminalPayload?
    public var malformed: Bool

    public init(frame: Int, time: Timestamp) {
        self.frame = frame
        self.time = time
        protocols = LayerTrail()
        payload = UnsafeRawBufferPointer(start: nil, count: 0)
        reassembledHello = UnsafeRawBufferPointer(start: nil, count: 0)
        malformed = false
    }

    /// Readies the line for the next frame, keeping its analysis (the analyzer resets that when it
    /// writes the next one) so no kilobyte-sized value is rebuilt per packet.
    public mutating func start(frame: Int, time: Timestamp) {
        self.frame = frame
        self.time = time
        source = nil
        destination = nil
        sourcePort = nil
        destinationPort = nil
        transport = nil
        protocols = LayerTrail()
        payload = UnsafeRawBufferPointer(start: nil, count: 0)
        reassembledHello = UnsafeRawBufferPointer(start: nil, count: 0)
        terminal = nil
        malformed = false
    }
}

/// Renders `PacketLine`s as tshark-like text or as JSON lines (issue 3 item 8).
public struct PacketReport {
    public var origin: Timestamp?
    /// Reused for each line's info column.
    private var info = TextBuffer(capacity: 512)

    public init() {}

    /// `{"frame":1,"time":1700000000.123456789,"src":"…","dst":"…","srcPort":…,"dstPort":…,
    /// "transport":"udp","protocols":["eth","ipv4","udp","stun"],"info":"…"}`
    public mutating func appendJSON(_ line: PacketLine, to out: inout TextBuffer) {
        out.append("{\"frame\":")
        out.append(decimal: line.frame)
        out.append(",\"time\":")
        out.append(time: line.time)
        out.append(",\"src\":")
        appendQuoted(line.source, to: &out)
        out.append(",\"dst\":")
        appendQuoted(line.destination, to: &out)
        out.append(",\"srcPort\":")
        if let port = line.sourcePort { out.append(decimal: port) } else { out.append("null") }
        out.append(",\"dstPort\":")
        if let port = line.destinationPort { out.append(decimal: port) } else { out.append("null") }
        out.append(",\"transport\":")
        switch line.transport {
        case .udp: out.append("\"udp\"")
        case .tcp: out.append("\"tcp\"")
        case nil: out.append("null")
        }
        out.append(",\"protocols\":[")
        for i in 0..<line.protocols.count {
            if i > 0 { out.append(byte: 0x2C) }
            out.append(byte: 0x22)
            out.append(line.protocols[i].text)
            out.append(byte: 0x22)
        }
        out.append("],\"info\":\"")
        info.removeAll()
        Self.describe(line, into: &info)
        out.append(jsonEscaping: info)
        out.append(byte: 0x22)
        if line.malformed { out.append(",\"malformed\":true") }
        out.append("}\n")
    }

    /// `   12   0.123456 192.0.2.1:5000 → 198.51.100.2:3478  eth:ipv4:udp:stun  Binding request …`
    public mutating func appendText(_ line: PacketLine, to out: inout TextBuffer) {
        if origin == nil { origin = line.time }
        let relative = line.time.nanoseconds &- (origin?.nanoseconds ?? 0)
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
        info.removeAll()
        Self.describe(line, into: &info)
        if info.count > 0 {
            out.append("  ")
            out.append(info)
        }
        if line.malformed { out.append(" [malformed]") }
        out.append(byte: 0x0A)
    }

    private func appendQuoted(_ address: IPAddress?, to out: inout TextBuffer) {
        guard let address else {
            out.append("null")
            return
        }
        out.append(byte: 0x22)
        out.append(address)
        out.append(byte: 0x22)
    }

    private func appendAddress(_ address: IPAddress?, _ port: UInt16?, to out: inout TextBuffer) {
        guard let address else {
            out.append("-")
            return
        }
        if let port {
            out.append(Endpoint(address: address, port: port))
        } else {
            out.append(address)
        }
    }
}
