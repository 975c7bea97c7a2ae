import Wire

/// TURN ChannelData (RFC 8656 §12.4; RFC 5766 §11.4): relayed data for a bound channel,
/// with a 4-byte header instead of a STUN message.
///
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |         Channel Number        |            Length             |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                 Application Data … | padding to 4 (TCP)       |
///
/// Channel numbers are 0x4000–0x4FFF since RFC 8656 (RFC 5766 allowed up to 0x7FFF; RFC 7983
/// leaves first bytes 80–127 to QUIC). Over UDP the padding is optional (RFC 8656 §12.5), over
/// TCP/TLS it is mandatory, so a stream of ChannelData frames stays 4-byte aligned.
public struct TURNChannelData: Sendable {
    public var channel: UInt16
    /// Where the application data lies, counted from the frame's first byte.
    public var data: Range<Int>
    /// Bytes the frame occupies, padding included.
    public var totalLength: Int

    public static let channelRange: ClosedRange<UInt16> = 0x4000...0x7FFF

    public init(parsing input: inout ByteCursor, overTCP: Bool) throws(DecodeError) {
        let start = input.offset
        channel = try input.read(UInt16.self)
        guard Self.channelRange.contains(channel) else { throw .malformed(at: start, reason: "TURN channel number") }
        let length = Int(try input.read(UInt16.self))
        try input.skip(length)
        data = 4..<(4 &+ length)
        let padding = (4 &- length & 3) & 3
        if overTCP {
            try input.skip(padding)
            totalLength = 4 &+ length &+ padding
        } else {
            // UDP: the datagram ends the frame, with or without padding.
            let extra = input.remaining
            guard extra == 0 || extra == padding else {
                throw .malformed(at: input.offset, reason: "ChannelData length")
            }
            try input.skip(extra)
            totalLength = 4 &+ length &+ extra
        }
    }

    /// Whether a whole UDP datagram has the shape of one ChannelData frame.
    public static func probe(_ payload: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(payload)
        return (try? TURNChannelData(parsing: &input, overTCP: false)) != nil
    }
}
