import Wire

/// The RTP fixed header, CSRC list and header extension (RFC 3550 §5.1, §5.3.1; RFC 8285 §4).
/// SRTP (RFC 3711 §3.1) keeps this header in clear, so it decodes the same; the payload stays opaque.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |V=2|P|X|  CC   |M|     PT      |       sequence number         |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                           timestamp                           |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |           synchronization source (SSRC) identifier            |
///     +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///     |            contributing source (CSRC) identifiers × CC        |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | [profile 16 (0xBEDE one-byte, 0x100x two-byte) | length 16 in words | extension data] |
public struct RTPHeader: Sendable, Equatable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// The header extension's profile (0xBEDE, 0x1000–0x100F, or anything else), if X is set.
    public var extensionProfile: UInt16?
    // Counts are stored narrow (every packet line holds a header) and read as `Int`. A packet is at
    // most one datagram or one RFC 4571 frame, so 32 bits hold any length.
    @usableFromInline var storedCSRCCount: UInt8
    @usableFromInline var storedPaddingLength: UInt8
    @usableFromInline var storedExtensionElements: UInt32
    @usableFromInline var storedHeaderLength: UInt32
    @usableFromInline var storedPayloadLength: UInt32

    @inlinable public var csrcCount: Int { Int(storedCSRCCount) }
    /// RFC 8285 elements in the extension (0 for other profiles).
    @inlinable public var extensionElements: Int { Int(storedExtensionElements) }
    /// Header bytes, CSRCs and extension included.
    @inlinable public var headerLength: Int { Int(storedHeaderLength) }
    /// Payload bytes after the header, padding excluded.
    @inlinable public var payloadLength: Int { Int(storedPayloadLength) }
    @inlinable public var paddingLength: Int { Int(storedPaddingLength) }

    /// Parses the whole datagram (`input` must hold exactly one RTP packet).
    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        guard try input.peek(UInt8.self) >> 6 == 2 else { throw .malformed(at: start, reason: "RTP version") }
        // One length check for the 12 fixed bytes: this runs for every media packet.
        let fixed = try input.readHeader(12)
        let first = fixed.u8(0)
        let second = fixed.u8(1)
        marker = second & 0x80 != 0
        payloadType = second & 0x7F
        sequence = fixed.u16(2)
        timestamp = fixed.u32(4)
        ssrc = fixed.u32(8)
        let csrcCount = Int(first & 0x0F)
        storedCSRCCount = UInt8(truncatingIfNeeded: csrcCount)
        try input.skip(csrcCount &* 4)
        var extensionElements = 0
        if first & 0x10 != 0 {
            let profile = try input.read(UInt16.self)
            let words = Int(try input.read(UInt16.self))
            var body = try input.take(words &* 4)
            extensionProfile = profile
            extensionElements = Self.countElements(&body, profile: profile)
        } else {
            extensionProfile = nil
        }
        storedExtensionElements = UInt32(truncatingIfNeeded: extensionElements)
        storedHeaderLength = UInt32(truncatingIfNeeded: input.offset &- start)
        var paddingLength = 0
        if first & 0x20 != 0 {
            // RFC 3550 §5.1: the last octet counts the padding, itself included.
            guard input.remaining > 0 else { throw .malformed(at: input.offset, reason: "RTP padding") }
            let count = Int(try input.peek(UInt8.self, at: input.remaining &- 1))
            guard count > 0, count <= input.remaining else { throw .malformed(at: input.offset, reason: "RTP padding") }
            paddingLength = count
        }
        storedPaddingLength = UInt8(truncatingIfNeeded: paddingLength)
        storedPayloadLength = UInt32(truncatingIfNeeded: input.remaining &- paddingLength)
        try input.skip(input.remaining)
    }

    /// RFC 8285 §4.2 one-byte (`ID 4 | L 4`, L = length − 1, ID 0 padding, ID 15 stop) and §4.3
    /// two-byte (`ID 8 | length 8`) elements; a malformed list just stops the count.
    static func countElements(_ body: inout ByteCursor, profile: UInt16) -> Int {
        var elements = 0
        if profile == 0xBEDE {
            while let byte = try? body.read(UInt8.self) {
                if byte == 0 { continue }
                if byte >> 4 == 15 { break }
                guard (try? body.skip(Int(byte & 0x0F) &+ 1)) != nil else { break }
                elements &+= 1
            }
        } else if profile & 0xFFF0 == 0x1000 {
            while let id = try? body.read(UInt8.self) {
                if id == 0 { continue }
                guard let length = try? body.read(UInt8.self), (try? body.skip(Int(length))) != nil else { break }
                elements &+= 1
            }
        }
        return elements
    }

    /// Header shape of RTP in a whole datagram: version 2, not an RTCP type in byte 1, header fits,
    /// padding plausible. Deciding a flow is RTP needs more than one packet (Flows.RTPStreamStats).
    public static func probe(_ payload: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(payload)
        guard let second = try? input.peek(UInt8.self, at: 1), !isRTCPPacketType(second) else { return false }
        return (try? RTPHeader(parsing: &input)) != nil
    }
}
