import Wire

/// Counters for one RTP stream (one SSRC in one direction of one flow), following the sequence
/// bookkeeping of RFC 3550 Appendix A.1: a source is valid after `minimumSequential` packets in
/// sequence; jumps beyond `maximumDropout` or back beyond `maximumMisorder` restart the count.
public struct RTPStreamStats: Sendable, Equatable {
    public static let minimumSequential = 2
    public static let maximumDropout = 3000
    public static let maximumMisorder = 100

    public var ssrc: UInt32
    public var payloadType: UInt8
    public var firstFrame: Int
    public var packets = 0
    /// Packets that came in sequence since the last restart; `isValid` once it reaches the minimum.
    public var sequential = 0
    public private(set) var isValid = false
    /// Highest sequence number seen, extended with the wrap count.
    public var highestSequence: Int = 0
    public var baseSequence: Int = 0
    public var outOfOrder = 0
    public var payloadTypeChanges = 0

    public init(ssrc: UInt32, payloadType: UInt8, sequence: UInt16, frame: Int) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        firstFrame = frame
        highestSequence = Int(sequence)
        baseSequence = Int(sequence)
        packets = 1
        sequential = 1
    }

    /// Expected minus received since the first packet (RFC 3550 A.3); negative means duplicates.
    public var lost: Int { highestSequence &- baseSequence &+ 1 &- packets }

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
            highestSequence &+= delta
            sequential = delta == 1 ? sequential &+ 1 : 1
        } else if delta == 0 || 65536 &- delta <= Self.maximumMisorder {
            outOfOrder &+= 1  // duplicate or late packet
        } else {
            // A big jump: the sender restarted, or this is not RTP. Count afresh from here.
            highestSequence = Int(sequence)
            baseSequence = Int(sequence)
            packets = 1
            sequential = 1
        }
        if sequential >= Self.minimumSequential { isValid = true }
    }
}
