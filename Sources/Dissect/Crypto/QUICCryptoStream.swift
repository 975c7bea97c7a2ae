/// One direction's Initial-level CRYPTO stream (RFC 9001 §4.1.3): CRYPTO frame data placed at its
/// offsets, until the handshake message at the stream's start (a ClientHello or ServerHello) is whole.
///
/// Data is delivered as tshark 4.0 delivers it to TLS, which decides which packets count as `tls`:
/// bytes that continue the in-order data go straight on; a fragment after a gap opens a pending
/// region from the in-order end to the fragment's end, and everything that falls into it is held
/// back until the region is complete, then delivered at once. So of a ClientHello split over two
/// packets both count when they arrive in order, only the second when they arrive reversed, and a
/// retransmission counts not at all.
public struct QUICCryptoStream: Sendable {
    /// Stream bytes kept: Initial-level messages are hellos, a few kilobytes at most.
    public static let capacity = 16384
    /// Out-of-order fragments kept at once.
    static let pendingLimit = 32

    /// The stream's bytes from offset 0, as far as any arrived (gaps are zero).
    public private(set) var bytes: [UInt8] = []
    /// Every byte before this offset arrived and was delivered.
    public private(set) var delivered = 0
    /// Where the pending region ends; equal to `delivered` when nothing is held back.
    private var pendingEnd = 0
    /// Ranges received inside the pending region, sorted and apart.
    private var pending: [Range<Int>] = []
    /// The first message was already handed out (`takeFirstMessage`).
    private var firstMessageTaken = false

    public init() {}

    /// Adds one CRYPTO frame's data; true when it delivered bytes (tshark calls TLS then). Frames
    /// reaching past `capacity` are dropped.
    public mutating func add(offset: UInt64, _ data: UnsafeRawBufferPointer) -> Bool {
        guard offset <= UInt64(Self.capacity), Int(offset) &+ data.count <= Self.capacity else { return false }
        let start = Int(offset)
        let end = start &+ data.count
        guard end > delivered else { return false }  // a retransmission
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end &- bytes.count)) }
        bytes.withUnsafeMutableBytes { stream in
            UnsafeMutableRawBufferPointer(rebasing: stream[start..<end]).copyMemory(from: data)
        }
        let from = Swift.max(start, delivered)
        if pendingEnd == delivered, from == delivered {
            delivered = end
            pendingEnd = end
            return true
        }
        pendingEnd = Swift.max(pendingEnd, end)
        guard insertPending(from..<end) else { return false }
        guard pending.count == 1, pending[0] == delivered..<pendingEnd else { return false }
        delivered = pendingEnd
        pending.removeAll(keepingCapacity: true)
        return true
    }

    /// The first handshake message (`type 8 | length 24 | body`), once it was delivered whole and
    /// the first time only.
    public mutating func takeFirstMessage() -> ArraySlice<UInt8>? {
        guard !firstMessageTaken, delivered >= 4 else { return nil }
        let length = 4 &+ (Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]))
        guard length <= delivered else { return nil }
        firstMessageTaken = true
        return bytes[..<length]
    }

    /// Merges `range` into the pending ranges; false when too many fragments are held already.
    private mutating func insertPending(_ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return true }
        var merged = range
        var kept: [Range<Int>] = []
        for existing in pending {
            if existing.upperBound < merged.lowerBound || merged.upperBound < existing.lowerBound {
                kept.append(existing)
            } else {
                merged =
                    Swift.min(
                        existing.lowerBound,
                        merged.lowerBound
                    )..<Swift.max(existing.upperBound, merged.upperBound)
            }
        }
        guard kept.count < Self.pendingLimit else { return false }
        kept.append(merged)
        kept.sort { $0.lowerBound < $1.lowerBound }
        pending = kept
        return true
    }
}
