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

    private var index = EndpointPairIndex()
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
        var position = index.value(for: key)
        if let existing = position, segment.transport == .tcp, let tcp = segment.tcp {
            if startsNewTCPStream(existing, tcp, fromA: conversations[existing].a == segment.source) {
                position = nil
            }
        }
        guard let position else {
            let created = conversations.count
            var conversation = Conversation(
                transport: segment.transport, a: segment.source, b: segment.destination, first: time, last: time)
            conversation.framesAToB = 1
            conversation.bytesAToB = wireLength
            conversations.append(conversation)
            index.set(created, for: key)
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

    private func startsNewTCPStream(_ position: Int, _ tcp: TCPHeader, fromA: Bool) -> Bool {
        guard tcp.flags.contains(.syn), !tcp.flags.contains(.ack) else { return false }
        let bases = tcpBaseSequences[position]
        guard let base = fromA ? bases.fromA : bases.fromB else { return false }
        return base != tcp.sequence
    }
}
