import Dissect
import Wire

/// What a flow is, as evidence accumulates (Zeek's tentative → confirmed analyzers, nDPI's give-up
/// counter). A weak heuristic (bare RTP) only labels packets while the flow is not rejected;
/// strong signatures (STUN cookie and length, DTLS version, WireGuard sizes) work on their own.
public enum FlowClassification: Equatable, Sendable {
    /// Nothing decided after this many packets.
    case probing(packets: Int)
    /// The flow carries this protocol; `frame` is the packet that proved it.
    case confirmed(ProtocolName, frame: Int)
    /// Gave up: no known protocol, weak heuristics are off for this flow.
    case rejected(frame: Int)
}

/// Per-flow state kept between packets. It lives in `FlowTable`'s array and is updated in place, so
/// it holds only plain values: TCP reassembly buffers sit in a side table (`tcpRow`).
public struct FlowState: Sendable {
    public static let probingLimit = 32
    /// More new SSRCs than this without any stream in sequence: the "RTP" is random bytes.
    public static let ssrcChurnLimit = 6

    // What a packet reads sits in the row's first cache lines (rows start on a line, see
    // `FlowRows`): line 0 holds what every packet reads (key, count, the SSRC counters and flags),
    // line 1 the classification and the evidence frames, line 2 the first RTP streams. A busy
    // capture has thousands of flows, so each line a packet touches is a likely cache miss.
    public let key: FlowKey
    public var packets = 0
    var newSSRCs: Int32 = 0
    var validSSRCs: Int32 = 0
    public var rtpRejected = false
    /// Media here is SRTP: a DTLS handshake offered use_srtp, or TURN/ICE framing surrounds it.
    public var srtp = false
    /// TLS: ServerHello chose a NULL cipher (IP-HTTPS's clear mode).
    public var nullCipher = false
    public var iphttps = false
    /// OpenVPN: whether the control channel carries TLS in clear (tls-auth or none) — decided by
    /// the first P_CONTROL_V1 payload; false with tls-crypt, whose control payloads are encrypted.
    var openvpnControlTLS: Bool?
    public var classification: FlowClassification = .probing(packets: 0)
    /// First frame of each kind of evidence, for the judge.
    @FrameWord public var rtpFrame: Int?
    @FrameWord public var dtlsFrame: Int?
    @FrameWord public var stunFrame: Int?
    @FrameWord public var turnFrame: Int?
    /// The RTP streams (SSRC and direction) this flow carries: the count ends line 1, and the first
    /// two streams fill line 2.
    public internal(set) var streams = RTPStreamSlots()
    public var firstFrame: Int
    /// TURN channels bound on this flow (ChannelBind requests/successes), up to 8.
    public var channels = TURNChannels()
    /// Malformed packets of a recognised protocol on this flow.
    public var anomalies = 0
    /// The MAC that ends each NULL-cipher record's plaintext; nil when the suite's records cannot be read.
    var nullCipherMACLength: Int?
    /// TCP: the row of this flow's reassembly state in `FlowTable.tcpStreams`; -1 for UDP.
    var tcpRow: Int32 = -1

    init(key: FlowKey, firstFrame: Int) {
        self.key = key
        self.firstFrame = firstFrame
    }

    /// Records strong evidence; a confirmed media protocol may replace a confirmed control one.
    mutating func confirm(_ name: ProtocolName, frame: Int) {
        switch classification {
        case .probing, .rejected: classification = .confirmed(name, frame: frame)
        case .confirmed(let current, _):
            if Self.rank(name) > Self.rank(current) { classification = .confirmed(name, frame: frame) }
        }
    }

    /// Media outranks its transports' control traffic: a STUN flow that starts carrying RTP is a media flow.
    static func rank(_ name: ProtocolName) -> Int {
        switch name {
        case .rtp, .srtp: 4
        case .turnChannel: 3
        case .dtls: 2
        case .stun: 1
        default: 0
        }
    }

    mutating func countPacket(frame: Int) {
        packets &+= 1
        if case .probing(let n) = classification {
            classification = n &+ 1 >= Self.probingLimit ? .rejected(frame: frame) : .probing(packets: n &+ 1)
        }
    }

    /// STUN, DTLS or RTP already seen here: evidence that lets weaker media shapes count.
    var carriesMedia: Bool { stunFrame != nil || dtlsFrame != nil || rtpFrame != nil }

    public var confirmedProtocol: ProtocolName? {
        if case .confirmed(let name, _) = classification { return name }
        return nil
    }
}

/// An optional frame number stored in one word (`Int.min` for none), so a flow's evidence frames
/// take 8 bytes each instead of an optional's 16 and fit the row's second cache line.
@propertyWrapper public struct FrameWord: Sendable {
    private var word = Int.min

    public init() {}

    public var wrappedValue: Int? {
        get { word == .min ? nil : word }
        set { word = newValue ?? .min }
    }
}

/// A small fixed set of TURN channel numbers (no allocation): four per word.
public struct TURNChannels: Sendable {
    public static let capacity = 8
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    public private(set) var count = 0

    public subscript(position: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: (position < 4 ? low : high) >> UInt64((position & 3) &* 16))
    }

    public func contains(_ channel: UInt16) -> Bool {
        for i in 0..<count where self[i] == channel { return true }
        return false
    }

    mutating func insert(_ channel: UInt16) {
        guard !contains(channel), count < Self.capacity else { return }
        let bits = UInt64(channel) << UInt64((count & 3) &* 16)
        if count < 4 { low |= bits } else { high |= bits }
        count &+= 1
    }
}
