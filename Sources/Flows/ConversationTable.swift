import Dissect
import Wire

/// Counts UDP and TCP conversations as frames stream past; memory grows with conversations, not
/// with packets.
///
/// TCP conversations follow Wireshark's stream rule: a SYN (without ACK) whose sequence number
/// differs from the first one seen in that direction starts a new conversation on the same ports.
public struct ConversationTable {
    /// Conversations in order of their first frame.
    public private(set) var conversations: [Conversation] = []
    /// The first frame's timestamp: Wireshark's reference for relative times.
    public private(set) var origin: Timestamp?

    /// An open-addressing index from a 5-tuple to its current conversation: each 8-byte slot holds
    /// the key's hash tag (high half) and row + 1 (low half; 0 is empty). The key itself is checked
    /// against the row's own `key`, so a lookup touches the small slot array and the conversation it
    /// updates anyway (the per-packet cost here is cache misses, not instructions).
    private var slots = [UInt64](repeating: 0, count: 4096)
    private var live = 0
    /// Beside each conversation: the first TCP sequence number seen from A and from B.
    private var tcpBaseSequences: [TCPBaseSequences] = []

    struct TCPBaseSequences {
        var fromA: UInt32? = nil
        var fromB: UInt32? = nil
    }

    public init() {}

    /// Notes the start of a frame, so relative times match Wireshark's even for frames with no
    /// transport layer.
    public mutating func noteFrame(at time: Timestamp) {
        if origin == nil { origin = time }
    }

    /// Counts one transport header found in a frame of `wireLength` bytes.
    public mutating func add(_ segment: TransportSegment, wireLength: Int, at time: Timestamp) {
        let key = EndpointPairIndex.Key(segment.transport, segment.source, segment.destination)
        let hash = key.mixed
        let (slot, found) = find(key, hash: hash)
        var position = found
        if let existing = position, segment.transport == .tcp, let tcp = segment.tcp {
            if startsNewTCPStream(existing, tcp, fromA: conversations[existing].a == segment.source) {
                position = nil
            }
        }
        guard let position else {
            let created = conversations.count
            var conversation = Conversation(
                transport: segment.transport,
                a: segment.source,
                b: segment.destination,
                first: time,
                last: time,
                key: key
            )
            conversation.framesAToB = 1
            conversation.bytesAToB = wireLength
            conversations.append(conversation)
            file(created, in: slot, hash: hash, replacing: found != nil)
            tcpBaseSequences.append(TCPBaseSequences(fromA: segment.tcp?.sequence))
            return
        }
        // Both ends share the key, so the source alone tells the direction (A → B when it is A).
        conversations.withUnsafeMutableBufferPointer { all in
            let fromA = all[position].a == segment.source
            if fromA {
                all[position].framesAToB &+= 1
                all[position].bytesAToB &+= wireLength
            } else {
                all[position].framesBToA &+= 1
                all[position].bytesBToA &+= wireLength
            }
            if time > all[position].last {
                all[position].last = time
            } else if time < all[position].first {
                all[position].first = time
            }
        }
        if let tcp = segment.tcp {
            let fromA = conversations[position].a == segment.source
            if fromA, tcpBaseSequences[position].fromA == nil { tcpBaseSequences[position].fromA = tcp.sequence }
            if !fromA, tcpBaseSequences[position].fromB == nil { tcpBaseSequences[position].fromB = tcp.sequence }
        }
    }

    /// The slot where `key` is (with its row) or would go.
    private func find(_ key: EndpointPairIndex.Key, hash: UInt64) -> (slot: Int, row: Int?) {
        let mask = slots.count &- 1
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            conversations.withUnsafeBufferPointer { conversations in
                while slots[slot] != 0 {
                    let word = slots[slot]
                    let row = Int(truncatingIfNeeded: word & 0xFFFF_FFFF) &- 1
                    if word >> 32 == tag, conversations[row].key == key { return (slot, row) }
                    slot = (slot &+ 1) & mask
                }
                return (slot, nil)
            }
        }
    }

    /// Points `slot` at `row` (a new conversation, or a TCP stream that replaces the old one).
    private mutating func file(_ row: Int, in slot: Int, hash: UInt64, replacing: Bool) {
        slots[slot] = (hash >> 32) << 32 | UInt64(row &+ 1)
        if replacing { return }
        live &+= 1
        guard live &* 2 > slots.count else { return }
        // Grow at 50% load: re-file the rows the slots point at (replaced TCP streams drop out).
        let rows = slots.filter { $0 != 0 }.map { Int(truncatingIfNeeded: $0 & 0xFFFF_FFFF) &- 1 }
        slots = [UInt64](repeating: 0, count: slots.count &* 2)
        let mask = slots.count &- 1
        for row in rows {
            let hash = conversations[row].key.mixed
            var at = Int(truncatingIfNeeded: hash) & mask
            while slots[at] != 0 { at = (at &+ 1) & mask }
            slots[at] = (hash >> 32) << 32 | UInt64(row &+ 1)
        }
    }

    private func startsNewTCPStream(_ position: Int, _ tcp: TCPHeader, fromA: Bool) -> Bool {
        guard tcp.flags.contains(.syn), !tcp.flags.contains(.ack) else { return false }
        let bases = tcpBaseSequences[position]
        guard let base = fromA ? bases.fromA : bases.fromB else { return false }
        return base != tcp.sequence
    }
}
