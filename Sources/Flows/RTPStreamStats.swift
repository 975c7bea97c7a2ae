import Wire

/// Counters for one RTP stream (one SSRC in one direction of one flow), following the sequence
/// bookkeeping of RFC 3550 Appendix A.1: a source is valid after `minimumSequential` packets in
/// sequence; jumps beyond `maximumDropout` or back beyond `maximumMisorder` restart the count.
/// 32 bytes, so a flow keeps its few streams inline.
public struct RTPStreamStats: Sendable, Equatable {
    public static let minimumSequential: UInt16 = 2
    public static let maximumDropout = 3000
    public static let maximumMisorder = 100

    public var ssrc: UInt32
    public var payloadType: UInt8
    /// The stream runs from the flow's `low` end to its `high` end.
    public var forward: Bool
    /// The stream is relayed inside TURN (kept apart from direct packets of the same SSRC).
    public var relayed: Bool
    public private(set) var isValid = false
    public var packets: UInt32 = 1
    /// Packets that came in sequence since the last restart (saturating); `isValid` at the minimum.
    public var sequential: UInt16 = 1
    public var payloadTypeChanges: UInt16 = 0
    public var outOfOrder: UInt32 = 0
    /// Highest sequence number seen, extended with the wrap count.
    public var highestSequence: UInt32
    public var baseSequence: UInt32
    /// The flow's packet count when this stream was last seen: the least recent one is evicted.
    var lastSeen: UInt32 = 0

    public init(ssrc: UInt32, payloadType: UInt8, sequence: UInt16, forward: Bool, relayed: Bool) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.forward = forward
        self.relayed = relayed
        highestSequence = UInt32(sequence)
        baseSequence = UInt32(sequence)
    }

    /// Expected minus received since the first packet (RFC 3550 A.3); negative means duplicates.
    public var lost: Int { Int(highestSequence &- baseSequence) &+ 1 &- Int(packets) }

    /// Adds one packet of this SSRC.
    public mutating func add(sequence: UInt16, payloadType type: UInt8) {
        packets &+= 1
        if type != payloadType {
            payloadTypeChanges &+= 1
            payloadType = type
        }
        let last = UInt16(truncatingIfNeeded: highestSequence)
        let delta = Int(sequence &- last)  // forward distance, modulo 2^16
        if delta > 0 && delta < Self.maximumDropout {
            highestSequence &+= UInt32(delta)
            sequential = delta == 1 ? sequential &+ (sequential < .max ? 1 : 0) : 1
        } else if delta == 0 || 65536 &- delta <= Self.maximumMisorder {
            outOfOrder &+= 1  // duplicate or late packet
        } else {
            // A big jump: the sender restarted, or this is not RTP. Count afresh from here.
            highestSequence = UInt32(sequence)
            baseSequence = UInt32(sequence)
            packets = 1
            sequential = 1
        }
        if sequential >= Self.minimumSequential { isValid = true }
    }
}

/// The RTP streams of one flow, inline: a flow carries a few SSRCs per direction (audio, video,
/// retransmission), so a fixed set of slots replaces a per-capture dictionary. When a ninth stream
/// appears, the least recently seen one gives up its slot (it starts afresh if it comes back).
public struct RTPStreamSlots: Sendable {
    public static let capacity = 8
    private typealias Storage = (
        RTPStreamStats, RTPStreamStats, RTPStreamStats, RTPStreamStats,
        RTPStreamStats, RTPStreamStats, RTPStreamStats, RTPStreamStats
    )
    private static let empty = RTPStreamStats(ssrc: 0, payloadType: 0, sequence: 0, forward: false, relayed: false)
    // The count first: beside the first streams, in the same cache line.
    public private(set) var count = 0
    private var storage: Storage = (empty, empty, empty, empty, empty, empty, empty, empty)

    public init() {}

    public subscript(position: Int) -> RTPStreamStats {
        withStats { $0[min(max(position, 0), Self.capacity &- 1)] }
    }

    /// The slot of the stream with this SSRC and direction, if it is tracked. Mutating only to
    /// read the slots in place: the non-mutating view copies all eight first (once per RTP packet).
    mutating func slot(ssrc: UInt32, forward: Bool, relayed: Bool) -> Int? {
        let count = count
        return withMutableStats { stats in
            for i in 0..<count where stats[i].ssrc == ssrc && stats[i].forward == forward && stats[i].relayed == relayed
            {
                return i
            }
            return nil
        }
    }

    /// Adds a packet to the stream in `slot`; returns whether the stream just became valid.
    mutating func add(slot: Int, sequence: UInt16, payloadType: UInt8, clock: UInt32) -> Bool {
        guard slot >= 0, slot < count else { return false }
        return withMutableStats { stats in
            let wasValid = stats[slot].isValid
            stats[slot].add(sequence: sequence, payloadType: payloadType)
            stats[slot].lastSeen = clock
            return stats[slot].isValid && !wasValid
        }
    }

    mutating func insert(_ stream: RTPStreamStats, clock: UInt32) {
        let count = count
        withMutableStats { stats in
            var target = count
            if count == Self.capacity {
                target = 0
                for i in 1..<count where stats[i].lastSeen < stats[target].lastSeen { target = i }
            }
            stats[target] = stream
            stats[target].lastSeen = clock
        }
        if count < Self.capacity { self.count = count &+ 1 }
    }

    // A homogeneous tuple is laid out as a C array of its element type.
    private func withStats<R>(_ body: (UnsafeBufferPointer<RTPStreamStats>) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.assumingMemoryBound(to: RTPStreamStats.self)) }
    }

    private mutating func withMutableStats<R>(_ body: (UnsafeMutableBufferPointer<RTPStreamStats>) -> R) -> R {
        withUnsafeMutableBytes(of: &storage) { body($0.assumingMemoryBound(to: RTPStreamStats.self)) }
    }
}
