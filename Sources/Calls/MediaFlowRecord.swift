import Dissect
import Flows
import Wire

/// What the capture showed on one 5-tuple that carried media (RTP/SRTP/RTCP, bare or inside TURN
/// or a tunnel), accumulated packet by packet. Grows with flows, never with packets.
public struct MediaFlowRecord: Sendable {
    public var key: FlowKey
    public var firstFrame: Int
    public var firstTime: Timestamp
    public var lastTime: Timestamp
    /// Packets and wire bytes from `key.low` to `key.high`, and back.
    public var packetsLowToHigh = 0
    public var packetsHighToLow = 0
    public var bytes = 0
    /// Media packets (RTP/SRTP/RTCP/SRTCP) among them.
    public var mediaPackets = 0
    public var firstMediaFrame: Int?
    /// Media inside TURN ChannelData, Send/Data indications or MS-TURN multiplexed frames.
    public var turnFramedPackets = 0
    public var firstTURNFrame: Int?
    /// ICE connectivity checks (Binding requests with USERNAME) on this very 5-tuple.
    public var iceChecks = 0
    public var firstICECheckFrame: Int?
    public var nominationFrame: Int?
    /// PRIORITY of the first check sent from each end (RFC 8445 §7.1.1).
    public var checkPriorityFromLow: UInt32?
    public var checkPriorityFromHigh: UInt32?
    /// The ufrag pair of the checks ("remote:local" as the first request sent it).
    public var iceUsername: String?
    /// XOR-MAPPED-ADDRESS a check response reported for each end.
    public var mappedLow: Endpoint?
    public var mappedHigh: Endpoint?
    /// The tunnel this flow was found inside (decoded inner packets), and at which frame.
    public var tunnel: ProtocolName?
    public var tunnelFrame: Int?
    public var dtlsFrame: Int?
    /// Highest IP TTL / hop limit seen from each end: the capture's own host sends with an initial
    /// value (64, 128, 255); packets from afar arrive lower.
    public var hopLimitFromLow: UInt8 = 0
    public var hopLimitFromHigh: UInt8 = 0
    public var streams = SmallSet<UInt32>()
    public var payloadTypes = SmallSet<UInt8>()

    init(key: FlowKey, frame: Int, time: Timestamp) {
        self.key = key
        firstFrame = frame
        firstTime = time
        lastTime = time
    }

    public var packets: Int { packetsLowToHigh &+ packetsHighToLow }
}

/// A few distinct values kept inline; past `capacity` new values are only counted.
public struct SmallSet<Element: Equatable & Sendable>: Sendable {
    public static var capacity: Int { 8 }
    public private(set) var elements: [Element] = []
    public private(set) var overflow = 0

    public init() {}

    /// Adds `value` unless present; allocates only when a new value arrives (rare per flow).
    mutating func insert(_ value: Element) {
        if elements.contains(value) { return }
        if elements.count < Self.capacity { elements.append(value) } else { overflow &+= 1 }
    }
}
