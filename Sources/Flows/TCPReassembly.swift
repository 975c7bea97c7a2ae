import Dissect
import Wire

/// Reassembly of one TCP direction, just enough to find record boundaries (TLS, RFC 4571, TURN
/// over TCP, MS-TURN TCP, OpenVPN over TCP) and to read a TLS hello split over segments.
///
/// As tshark 4.0 with its defaults: segments are delivered in sequence order; a segment that
/// arrives early while a PDU is open (the PDU's start was seen) is held until the gap before it
/// fills, as Wireshark's reassembly places a PDU's fragments by offset; any other gap is real —
/// framing is lost until a segment starts with a plausible header again. A segment wholly before
/// what was delivered is a retransmission and skipped — but a fast retransmission on a TLS
/// direction, which tshark dissects, is labelled by the records that start in it. Memory per
/// direction: an 8-byte header buffer, up to `helloCap` bytes while a handshake record is open,
/// and up to `holdCap` bytes of early segments (buffers keep their capacity, so in-order traffic
/// allocates nothing).
public struct TCPDirection: Sendable {
    public static let helloCap = 16 * 1024
    public static let holdCap = 64 * 1024
    /// Separate early runs kept at once; more means a lossy stream not worth holding.
    static let heldRunLimit = 8

    var nextSequence: UInt32?
    /// How this direction is cut into PDUs, decided from its first bytes.
    var framing = StreamFraming.unknown
    /// Bytes still to come of the PDU in progress (0 between PDUs).
    var pduRemaining = 0
    /// Header bytes collected so far for the next PDU (at most 8).
    var header: UInt64 = 0
    var headerCount = 0
    /// A handshake record's bytes while it spans segments.
    var hello: [UInt8] = []
    var collectingHello = false
    public internal(set) var gaps = 0
    public internal(set) var framingLost = false
    /// Data segments seen while the framing was still unknown.
    var attempts = 0
    /// IP-HTTPS with a NULL cipher: the IPv6 packets in this direction's record plaintext.
    var iphttps = IPHTTPSReader()
    /// SIP over WebSocket: the frames of this direction after its HTTP Upgrade.
    var websocket = WebSocketReader()
    /// Early bytes, placed at their distance from `nextSequence` (index 0 is the first missing byte).
    var held: [UInt8] = []
    /// The stretches of `held` that were filled, as (start, end) offsets, sorted and disjoint.
    var heldRuns: [(start: Int, end: Int)] = []
    /// What this direction acknowledged of the other one, to tell the other's fast retransmissions.
    var acknowledgments = TCPAcknowledgments()

    /// What to do with a segment's payload.
    enum Placement: Equatable {
        /// In order: deliver from this offset (bytes before it were delivered already).
        case deliver(from: Int)
        /// Early, inside the open PDU: kept until the gap fills.
        case held
        /// Wholly before what was delivered: a retransmission.
        case duplicate
        /// Early with no PDU open to place it in: framing starts over with this segment.
        case afterGap
    }

    /// Places a segment relative to what this direction has delivered so far.
    mutating func accept(sequence: UInt32, length: Int, syn: Bool, payload: UnsafeRawBufferPointer) -> Placement {
        let start = syn ? sequence &+ 1 : sequence
        guard let expected = nextSequence else {
            nextSequence = start &+ UInt32(truncatingIfNeeded: length)
            return .deliver(from: 0)
        }
        let ahead = Int(Int32(bitPattern: start &- expected))
        if ahead > 0 {
            guard length > 0 else { return .duplicate }
            if hold(payload, at: ahead) { return .held }
            gaps &+= 1
            framingLost = true
            resetPDU()
            dropHeld()
            nextSequence = start &+ UInt32(truncatingIfNeeded: length)
            return .afterGap
        }
        let overlap = -ahead
        guard overlap < length else { return length == 0 ? .deliver(from: 0) : .duplicate }
        nextSequence = start &+ UInt32(truncatingIfNeeded: length)
        return .deliver(from: overlap)
    }

    /// Keeps an early segment when it lies in the open PDU (or extends early data already held)
    /// and fits under `holdCap`.
    mutating func hold(_ payload: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let end = offset &+ payload.count
        guard framing != .unknown, framing != .opaque, !framingLost, end <= Self.holdCap,
            offset < pduRemaining || !heldRuns.isEmpty
        else { return false }
        if held.count < end { held.append(contentsOf: repeatElement(0, count: end &- held.count)) }
        held.withUnsafeMutableBytes {
            UnsafeMutableRawBufferPointer(rebasing: $0[offset..<end]).copyMemory(from: payload)
        }
        var merged = (start: offset, end: end)
        var kept = 0
        for run in heldRuns {
            if run.end < merged.start || run.start > merged.end {
                heldRuns[kept] = run
                kept &+= 1
            } else {
                merged = (Swift.min(run.start, merged.start), Swift.max(run.end, merged.end))
            }
        }
        heldRuns.removeLast(heldRuns.count &- kept)
        guard heldRuns.count < Self.heldRunLimit else {
            dropHeld()
            return false
        }
        let index = heldRuns.firstIndex { $0.start > merged.start } ?? heldRuns.count
        heldRuns.insert(merged, at: index)
        return true
    }

    /// After `delivered` in-order bytes: the number of held bytes that now follow on directly
    /// (they sit at the start of `held` once `shiftHeld` ran), or 0.
    mutating func shiftHeld(after delivered: Int) -> Int {
        guard !heldRuns.isEmpty, delivered > 0 else { return 0 }
        let shift = Swift.min(delivered, held.count)
        held.removeFirst(shift)
        var kept = 0
        for run in heldRuns where run.end > delivered {
            heldRuns[kept] = (Swift.max(0, run.start &- delivered), run.end &- delivered)
            kept &+= 1
        }
        heldRuns.removeLast(heldRuns.count &- kept)
        guard let first = heldRuns.first, first.start == 0 else { return 0 }
        nextSequence = nextSequence.map { $0 &+ UInt32(truncatingIfNeeded: first.end) }
        return first.end
    }

    mutating func dropHeld() {
        held.removeAll(keepingCapacity: true)
        heldRuns.removeAll(keepingCapacity: true)
    }

    mutating func resetPDU() {
        pduRemaining = 0
        header = 0
        headerCount = 0
        hello.removeAll(keepingCapacity: true)
        collectingHello = false
    }

    mutating func resynchronised() { framingLost = false }
}

/// The acknowledgments one direction sends, followed as tshark 4.0's sequence analysis does to call
/// a segment of the other direction a fast retransmission: at least two duplicate ACKs asked for
/// its first byte, the last one less than 20 ms before it. Unlike other retransmissions, tshark
/// hands a fast one to the payload's dissector (`tcp.no_subdissector_on_error` holds back only
/// segments flagged retransmission or out-of-order).
struct TCPAcknowledgments: Sendable {
    static let fastRetransmissionWindow: Int64 = 20_000_000
    var number: UInt32 = 0
    var window: UInt16 = 0
    var time = Timestamp(nanoseconds: 0)
    /// Duplicate ACKs in a row: no data, no SYN/FIN/RST, the sender's next sequence number, and the
    /// same acknowledgment number and non-zero window as its previous segment.
    var duplicates = 0

    /// Follows one segment of the direction that sends these acknowledgments; `nextSequence` is
    /// that direction's next sequence number before the segment.
    mutating func note(_ tcp: TCPHeader, payloadLength: Int, nextSequence: UInt32?, at time: Timestamp) {
        let acknowledged = tcp.flags.contains(.ack) ? tcp.acknowledgment : 0
        let isDuplicate =
            payloadLength == 0 && tcp.flags.isDisjoint(with: [.syn, .fin, .rst]) && tcp.window != 0
            && tcp.window == window && acknowledged == number && tcp.sequence == nextSequence
        duplicates = isDuplicate ? duplicates &+ 1 : 0
        number = acknowledged
        window = tcp.window
        self.time = time
    }

    /// Whether a segment of the other direction starting at `sequence`, sent at `time`, is the
    /// retransmission these duplicate ACKs asked for.
    func askedForFastRetransmission(of sequence: UInt32, at time: Timestamp) -> Bool {
        duplicates >= 2 && number == sequence
            && (0..<Self.fastRetransmissionWindow).contains(time.nanoseconds &- self.time.nanoseconds)
    }
}
