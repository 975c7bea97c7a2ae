import Dissect
import Wire

/// A UDP or TCP 5-tuple with its ends in a fixed order, so both directions find one entry.
public struct FlowKey: Hashable, Sendable {
    public var transport: Transport
    public var low: Endpoint
    public var high: Endpoint

    /// The key of a segment, and whether the segment runs from `low` to `high`.
    @inlinable
    public init(_ transport: Transport, _ source: Endpoint, _ destination: Endpoint) {
        self.transport = transport
        if source < destination {
            low = source
            high = destination
        } else {
            low = destination
            high = source
        }
    }
}

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

/// Per-flow state kept between packets.
public struct FlowState: Sendable {
    public static let probingLimit = 32
    /// More new SSRCs than this without any stream in sequence: the "RTP" is random bytes.
    public static let ssrcChurnLimit = 6

    public var firstFrame: Int
    public var packets = 0
    public var classification: FlowClassification = .probing(packets: 0)
    /// First frame of each kind of evidence, for the judge.
    public var stunFrame: Int?
    public var turnFrame: Int?
    public var dtlsFrame: Int?
    public var rtpFrame: Int?
    /// Media here is SRTP: a DTLS handshake offered use_srtp, or TURN/ICE framing surrounds it.
    public var srtp = false
    public var rtpRejected = false
    var newSSRCs = 0
    var validSSRCs = 0
    /// TURN channels bound on this flow (ChannelBind requests/successes), up to 8.
    public var channels = TURNChannels()
    /// Malformed packets of a recognised protocol on this flow.
    public var anomalies = 0
    /// TCP: one reassembly state per direction (`low → high`, then `high → low`).
    var forward = TCPDirection()
    var backward = TCPDirection()
    var forwardFraming = StreamFraming.unknown
    var backwardFraming = StreamFraming.unknown
    /// TLS: ServerHello chose a NULL cipher (IP-HTTPS's clear mode).
    public var nullCipher = false
    public var iphttps = false

    init(firstFrame: Int) { self.firstFrame = firstFrame }

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

    public var confirmedProtocol: ProtocolName? {
        if case .confirmed(let name, _) = classification { return name }
        return nil
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

/// How one TCP direction is cut into PDUs, decided from its first bytes.
enum StreamFraming: Equatable, Sendable {
    case unknown
    /// TLS records (5-byte header).
    case tls
    /// RFC 4571 / RFC 6544 ICE-TCP: 16-bit length, then STUN/RTP/RTCP.
    case rfc4571
    /// TURN over TCP (RFC 8656 §12.5): STUN messages and padded ChannelData back to back.
    case turnTCP
    /// MS-TURN over TCP: 4-byte type/size header per message.
    case msTURNTCP
    /// OpenVPN over TCP: 16-bit length, then an OpenVPN packet.
    case openvpnTCP
    /// PPTP control (RFC 2637 §2.1): 16-bit length (itself included), type, magic cookie.
    case pptp
    /// SIP messages delimited by Content-Length.
    case sip
    /// Something else: stop looking.
    case opaque
}

/// Flows by 5-tuple, plus STUN transactions awaiting their response.
public struct FlowTable: Sendable {
    public internal(set) var flows: [FlowKey: FlowState] = [:]
    var transactions = STUNTransactions()

    public init() {}

    public func state(of key: FlowKey) -> FlowState? { flows[key] }
}

/// STUN requests waiting for a response, by transaction id (RFC 8489 §6.3): a response gives the
/// round-trip time. Bounded: past `capacity` open requests the oldest generation is dropped.
struct STUNTransactions: Sendable {
    static let capacity = 65536
    private var open: [STUNTransactionID: (frame: Int, time: Timestamp)] = [:]

    mutating func request(_ id: STUNTransactionID, frame: Int, time: Timestamp) {
        if open.count >= Self.capacity { open.removeAll(keepingCapacity: true) }
        if open[id] == nil { open[id] = (frame, time) }
    }

    /// The request a response answers, removing it (retransmitted responses then find nothing).
    mutating func response(_ id: STUNTransactionID) -> (frame: Int, time: Timestamp)? {
        open.removeValue(forKey: id)
    }
}
