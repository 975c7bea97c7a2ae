import Dissect
import Wire

/// A UDP or TCP 5-tuple with its ends in a fixed order, so both directions find one entry.
public typealias FlowKey = EndpointPairIndex.Key

/// Flows by 5-tuple: states in an array, found through one cheap-hashed index (Swift's SipHash on
/// every packet cost more than the decode), and updated in place by the analyzer. TCP flows keep
/// their reassembly state in a side table so the per-packet state stays small.
public struct FlowTable: Sendable {
    var index = EndpointPairIndex()
    /// Every flow's key, by row (each state holds its own: `FlowState.key`).
    public var keys: [FlowKey] { states.map(\.key) }
    public internal(set) var states: [FlowState] = []
    var tcpStreams: [TCPStreamState] = []

    public init() {}

    public var count: Int { states.count }

    public func state(of key: FlowKey) -> FlowState? {
        guard let row = existingRow(of: key) else { return nil }
        return states[row]
    }

    /// Rows are filed in the index in creation order, so a row's entry number is the row; the
    /// key is checked in the row itself (`FlowState.key`), the cache line the packet needs next.
    @inline(__always)
    private func existingRow(of key: FlowKey) -> Int? {
        index.entry(for: key) { row in row < states.count && states[row].key == key }
    }

    /// The row of `key`'s flow, created on its first packet.
    mutating func row(for key: FlowKey, frame: Int) -> Int {
        if let row = existingRow(of: key) { return row }
        var state = FlowState(key: key, firstFrame: frame)
        if key.transport == .tcp {
            state.tcpRow = Int32(truncatingIfNeeded: tcpStreams.count)
            tcpStreams.append(TCPStreamState())
        }
        states.append(state)
        index.set(states.count &- 1, for: key)
        return states.count &- 1
    }
}

/// Both directions of one TCP flow (`low → high`, then `high → low`).
struct TCPStreamState: Sendable {
    var forward = TCPDirection()
    var backward = TCPDirection()
}

/// How one TCP direction is cut into PDUs, decided from its first bytes.
enum StreamFraming: Equatable, Sendable {
    case unknown
    /// TLS records (5-byte header).
    case tls
    /// RFC 4571 / RFC 6544 ICE-TCP: 16-bit length, then STUN/RTP/RTCP.
    case rfc4571
    /// TURN over TCP (RFC 8656 §12.5): STUN messages and padded ChannelData back to back.
    case turnTCP
    /// MS-TURN over TCP: 4-byte type/size header per message.
    case msTURNTCP
    /// OpenVPN over TCP: 16-bit length, then an OpenVPN packet.
    case openvpnTCP
    /// PPTP control (RFC 2637 §2.1): 16-bit length (itself included), type, magic cookie.
    case pptp
    /// SIP messages delimited by Content-Length.
    case sip
    /// Something else: stop looking.
    case opaque
}
