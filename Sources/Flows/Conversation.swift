import Wire

/// Traffic between two transport endpoints, counted the way Wireshark's Conversations table
/// counts it: A is the source of the first packet seen, bytes are whole frames on the wire.
public struct Conversation: Sendable, Equatable {
    public var transport: Transport
    public var a: Endpoint
    public var b: Endpoint
    public var framesAToB = 0
    public var bytesAToB = 0
    public var framesBToA = 0
    public var bytesBToA = 0
    public var first: Timestamp
    public var last: Timestamp
    /// The direction-free 5-tuple, kept beside the counters it finds (one cache line per packet).
    var key: EndpointPairIndex.Key

    public var frames: Int { framesAToB &+ framesBToA }
    public var bytes: Int { bytesAToB &+ bytesBToA }
    public var duration: Double { last.seconds(since: first) }
}
