import Wire

/// WireGuard messages (WireGuard whitepaper §5.4): a type byte, three reserved zero bytes, and a
/// fixed size per type — a signature strong enough to use on any UDP port.
///
///     | type 8 | reserved 24 (0) | sender / receiver index 32 | … |
///     type 1 initiation 148 B, 2 response 92 B, 3 cookie reply 64 B,
///     type 4 transport data: receiver 32 | counter 64 | ciphertext + 16-byte tag (≥ 32 B, multiple of 16)
public struct WireGuardMessage: Sendable, Equatable {
    public var type: UInt8
    /// Sender index (types 1, 2) or receiver index (types 3, 4).
    public var index: UInt32
    /// Transport data only: the nonce counter.
    public var counter: UInt64?

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        let size = input.remaining
        let word = try input.read(UInt32.self)
        type = UInt8(truncatingIfNeeded: word >> 24)
        guard word & 0x00FF_FFFF == 0 else { throw .malformed(at: start, reason: "WireGuard reserved bytes") }
        switch type {
        case 1: guard size == 148 else { throw .malformed(at: start, reason: "WireGuard initiation size") }
        case 2: guard size == 92 else { throw .malformed(at: start, reason: "WireGuard response size") }
        case 3: guard size == 64 else { throw .malformed(at: start, reason: "WireGuard cookie size") }
        case 4: guard size >= 32, size & 15 == 0 else { throw .malformed(at: start, reason: "WireGuard data size") }
        default: throw .malformed(at: start, reason: "WireGuard type")
        }
        // WireGuard writes its indices and counter little-endian (whitepaper §5.4).
        index = try input.read(UInt32.self).byteSwapped
        counter = type == 4 ? try input.read(UInt64.self).byteSwapped : nil
        try input.skip(input.remaining)
    }

    public var name: StaticString {
        switch type {
        case 1: "Handshake Initiation"
        case 2: "Handshake Response"
        case 3: "Cookie Reply"
        default: type == 4 && counter != nil ? "Transport Data" : "WireGuard"
        }
    }
}

extension WireGuardMessage {
    /// A whole datagram with a WireGuard type, zero reserved bytes and that type's size.
    public static func probe(_ payload: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(payload)
        return (try? WireGuardMessage(parsing: &input)) != nil
    }

    /// Transport-data type and zero reserved bytes with at least the header and tag: on a flow
    /// already confirmed as WireGuard, a datagram of an odd size is a malformed data message.
    public static func hasDataHeader(_ payload: UnsafeRawBufferPointer) -> Bool {
        let input = ByteCursor(payload)
        return payload.count >= 32 && (try? input.peek(UInt32.self)) == 0x0400_0000
    }
}
