import Wire

/// An RTCP compound packet (RFC 3550 §6.1, §6.4–6.7; RFC 4585 §6.1 feedback; RFC 3611 XR),
/// or its SRTCP form (RFC 3711 §3.4), summarised without keeping per-packet arrays.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |V=2|P|  count  |      PT       |   length (32-bit words − 1)   |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                   SSRC of packet sender                       |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | … body; then the next packet of the compound                  |
///
/// SRTCP encrypts everything after the first 8 bytes and appends `E | SRTCP index 31 | [MKI] | auth tag`,
/// so its lengths stop adding up after the first packet: that is what marks it as SRTCP.
public struct RTCPCompound: Sendable, Equatable {
    /// Packet type of the first packet (200 SR, 201 RR, …).
    public var firstType: RTCPPacketType
    /// Count/format field of the first packet (report count, or FMT for 205/206).
    public var firstCount: UInt8
    public var senderSSRC: UInt32
    /// Packets walked in the clear part of the compound.
    public var packetCount: Int
    /// Bit `t - 192` set for each packet type 192–223 seen.
    public var typesSeen: UInt32
    /// The lengths did not cover the datagram: encrypted body plus SRTCP trailer.
    public var isSRTCP: Bool

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        firstType = RTCPPacketType(rawValue: 0)
        firstCount = 0
        senderSSRC = 0
        packetCount = 0
        typesSeen = 0
        isSRTCP = false
        while input.remaining > 0 {
            let packetStart = input.offset
            // Fewer bytes than any header after a good packet: a sender's stray tail, not SRTCP
            // (whose trailer alone is 4 bytes or more).
            if packetCount > 0 && input.remaining < 4 {
                try input.skip(input.remaining)
                break
            }
            let first = try input.read(UInt8.self)
            let type = try input.read(UInt8.self)
            let words = Int(try input.read(UInt16.self))
            guard first >> 6 == 2, isRTCPPacketType(type) else {
                // After one good packet, bytes that do not parse are SRTCP's encrypted tail.
                guard packetCount > 0 else { throw .malformed(at: packetStart, reason: "RTCP header") }
                isSRTCP = true
                try input.skip(input.remaining)
                break
            }
            let size = (words &+ 1) &* 4
            guard size <= input.remaining &+ 4 else {
                guard packetCount > 0, input.remaining >= 4 else {
                    throw .truncated(at: packetStart, wanted: size)
                }
                isSRTCP = true  // the first packet's clear header claims a body that is ciphertext
                try input.skip(input.remaining)
                break
            }
            if packetCount == 0 {
                // RFC 3550 §6.1: a compound packet starts with SR or RR. RFC 5506 reduced-size
                // packets may start with any assigned type (SDES … SNM, 202–213); checked below.
                guard Self.assignedTypes.contains(type) else {
                    throw .malformed(at: packetStart, reason: "RTCP first packet type")
                }
                firstType = RTCPPacketType(rawValue: type)
                firstCount = first & 0x1F
                senderSSRC = size >= 8 ? try input.peek(UInt32.self) : 0
            }
            try input.skip(size &- 4)
            packetCount &+= 1
            typesSeen |= 1 << UInt32(type &- 192)
        }
        guard packetCount > 0 else { throw .truncated(at: start, wanted: 4) }
        // A clear reduced-size packet is one feedback message whose length covers the datagram;
        // any other type first must be SRTCP (its clear header, then ciphertext and the trailer).
        guard startsWithReport || isSRTCP || packetCount == 1 && (205...206).contains(firstType.rawValue) else {
            throw .malformed(at: start, reason: "RTCP first packet type")
        }
    }

    /// RTCP packet types IANA has assigned (SR 200 … SNM 213).
    static let assignedTypes: ClosedRange<UInt8> = 200...213

    /// The compound starts as RFC 3550 §6.1 wants, with SR or RR. Reduced-size SRTCP starting
    /// with another type is recognisable only on a flow already known to carry media.
    public var startsWithReport: Bool { firstType == .senderReport || firstType == .receiverReport }

    /// First two bytes look like RTCP: version 2 and packet type 192–223 (RFC 5761 §4).
    public static func probe(_ payload: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(payload)
        guard let first = try? input.peek(UInt8.self), first >> 6 == 2,
            let type = try? input.peek(UInt8.self, at: 1), isRTCPPacketType(type)
        else { return false }
        return (try? RTCPCompound(parsing: &input)) != nil
    }
}

/// RTCP packet types (IANA "RTP Control Protocol Packet Types"; RFC 3550, 4585, 3611).
public struct RTCPPacketType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let senderReport = RTCPPacketType(rawValue: 200)
    public static let receiverReport = RTCPPacketType(rawValue: 201)
    public static let sourceDescription = RTCPPacketType(rawValue: 202)
    public static let goodbye = RTCPPacketType(rawValue: 203)
    public static let application = RTCPPacketType(rawValue: 204)
    public static let transportFeedback = RTCPPacketType(rawValue: 205)
    public static let payloadFeedback = RTCPPacketType(rawValue: 206)
    public static let extendedReport = RTCPPacketType(rawValue: 207)

    public var name: StaticString {
        switch rawValue {
        case 192: "FIR"
        case 193: "NACK"
        case 200: "SR"
        case 201: "RR"
        case 202: "SDES"
        case 203: "BYE"
        case 204: "APP"
        case 205: "RTPFB"
        case 206: "PSFB"
        case 207: "XR"
        default: "RTCP"
        }
    }
}
