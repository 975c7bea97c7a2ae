import Dissect
import Wire

/// A UDP or TCP 5-tuple with its ends in a fixed order, so both directions find one entry.
public typealias FlowKey = EndpointPairIndex.Key

/// Flows by 5-tuple: states in `FlowRows`, found through one cheap-hashed index (Swift's SipHash on
/// every packet cost more than the decode), and updated in place by the analyzer through the row's
/// pointer. TCP flows keep their reassembly state in a side table so the per-packet state stays small.
public struct FlowTable: Sendable {
    var index = EndpointPairIndex()
    private var rows = FlowRows()
    var tcpStreams: [TCPStreamState] = []

    public init() {}

    public var count: Int { rows.count }

    /// Every flow's key, by row.
    public var keys: [FlowKey] { (0..<rows.count).map { rows.pointer(to: $0).pointee.key } }

    public func state(of key: FlowKey) -> FlowState? {
        guard let row = existingRow(of: key) else { return nil }
        return rows.pointer(to: row).pointee
    }

    /// Rows are filed in the index in creation order, so a row's entry number is the row; the
    /// key is checked in the row itself (`FlowState.key`), the cache line the packet needs next.
    @inline(__always)
    private func existingRow(of key: FlowKey) -> Int? {
        index.entry(for: key) { row in row < rows.count && rows.pointer(to: row).pointee.key == key }
    }

    /// The state of `key`'s flow, created on its first packet, to update in place. The pointer is
    /// valid until the next call: a new flow may move the rows.
    mutating func flow(for key: FlowKey, frame: Int) -> UnsafeMutablePointer<FlowState> {
        // A copy of the table (a finished scan's result) shares the rows until one of them changes.
        if !isKnownUniquelyReferenced(&rows) { rows = rows.copy() }
        if let row = existingRow(of: key) { return rows.pointer(to: row) }
        var state = FlowState(key: key, firstFrame: frame)
        if key.transport == .tcp {
            state.tcpRow = Int32(truncatingIfNeeded: tcpStreams.count)
            tcpStreams.append(TCPStreamState())
        }
        let row = rows.append(state)
        index.set(row, for: key)
        return rows.pointer(to: row)
    }
}

/// The flow states, each row starting on a 64-byte cache line (an array's elements start wherever
/// its header ends), so a packet reads its flow's first lines and no more: with thousands of flows,
/// each line is a likely cache miss. Rows are reached through pointers, which also skips the
/// array's uniqueness check and exclusivity bookkeeping on every access.
private final class FlowRows: @unchecked Sendable {
    static let lineSize = 64
    static let stride = (MemoryLayout<FlowState>.stride &+ lineSize &- 1) / lineSize &* lineSize
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity &* Self.stride, alignment: Self.lineSize)
    }

    deinit {
        for row in 0..<count { pointer(to: row).deinitialize(count: 1) }
        base.deallocate()
    }

    @inline(__always)
    func pointer(to row: Int) -> UnsafeMutablePointer<FlowState> {
        (base + row &* Self.stride).assumingMemoryBound(to: FlowState.self)
    }

    func append(_ state: FlowState) -> Int {
        if count == capacity { grow() }
        (base + count &* Self.stride).initializeMemory(as: FlowState.self, repeating: state, count: 1)
        count &+= 1
        return count &- 1
    }

    func copy() -> FlowRows {
        let copy = FlowRows(capacity: capacity)
        for row in 0..<count { _ = copy.append(pointer(to: row).pointee) }
        return copy
    }

    private func grow() {
        let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity &* 2 &* Self.stride, alignment: Self.lineSize)
        for row in 0..<count {
            (larger + row &* Self.stride).initializeMemory(
                as: FlowState.self,
                repeating: pointer(to: row).move(),
                count: 1
            )
        }
        base.deallocate()
        base = larger
        capacity &*= 2
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
