import Dissect
import Wire

/// In-order reassembly of one TCP direction, just enough to find record boundaries (TLS, RFC 4571,
/// TURN over TCP, MS-TURN TCP, OpenVPN over TCP) and to read a TLS hello split over segments.
///
/// Segments are taken in sequence order only: a retransmitted or overlapping part is skipped, and
/// a gap (lost or out-of-order segment) ends framing until a segment starts with a plausible
/// header again — tshark's default (`tcp.reassemble_out_of_order: FALSE`). Memory per direction is
/// an 8-byte header buffer plus, while a handshake record is open, up to `helloCap` bytes.
public struct TCPDirection: Sendable {
    public static let helloCap = 16 * 1024

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

    /// Where the new bytes of a segment start, after skipping what was already delivered.
    /// Returns nil when the segment lies wholly before `nextSequence` (a retransmission).
    mutating func accept(sequence: UInt32, length: Int, syn: Bool) -> Int? {
        let start = syn ? sequence &+ 1 : sequence
        guard let expected = nextSequence else {
            nextSequence = start &+ UInt32(truncatingIfNeeded: length)
            return 0
        }
        let ahead = Int32(bitPattern: start &- expected)
        if ahead > 0 {
            gaps &+= 1
            framingLost = true
            resetPDU()
            nextSequence = start &+ UInt32(truncatingIfNeeded: length)
            return 0
        }
        let overlap = Int(-ahead)
        guard overlap < length else { return length == 0 ? 0 : nil }
        nextSequence = start &+ UInt32(truncatingIfNeeded: length)
        return overlap
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
