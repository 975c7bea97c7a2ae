import Wire

/// What the first byte of a datagram on a media socket says it is (RFC 7983 §7, updating
/// RFC 5764 §5.1.2), plus Microsoft's multiplexed-TURN prefix 0xFF10 (MS-TURN §2.2.3).
///
///                   +----------------+
///                   |        [0..3] -+--> STUN (and TURN control)
///                   |      [16..19] -+--> ZRTP
///       packet -->  |      [20..63] -+--> DTLS
///                   |      [64..79] -+--> TURN ChannelData
///                   |    [128..191] -+--> RTP / RTCP
///                   +----------------+
///
/// The class is only a first guess: each decoder still checks its own shape (cookie, lengths,
/// version), and a flow keeps what it learned across packets (Flows.FlowTable).
public enum MuxedPayload: UInt8, Sendable {
    case stun, zrtp, dtls, turnChannel, rtpOrRTCP, msTURNMultiplexed, other

    @inlinable
    public init(firstByte: UInt8, secondByte: UInt8?) {
        switch firstByte {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .turnChannel
        case 128...191: self = .rtpOrRTCP
        case 0xFF where secondByte == 0x10: self = .msTURNMultiplexed
        default: self = .other
        }
    }

    /// Classifies the first bytes of `payload`; an empty payload is `.other`.
    @inlinable
    public init(_ payload: UnsafeRawBufferPointer) {
        let cursor = ByteCursor(payload)
        guard let first = try? cursor.peek(UInt8.self) else {
            self = .other
            return
        }
        self.init(firstByte: first, secondByte: try? cursor.peek(UInt8.self, at: 1))
    }
}

/// Splits RTP from RTCP on an rtcp-mux socket: the second byte of RTCP is a packet type 192–223
/// (RFC 5761 §4), which RTP would read as marker 1 and payload type 64–95 — values RTP must not use there.
@inlinable
public func isRTCPPacketType(_ secondByte: UInt8) -> Bool { (192...223).contains(secondByte) }
