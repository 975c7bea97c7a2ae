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
        guard (1...4).contains(type) else { throw .malformed(at: start, reason: "WireGuard type") }
        guard Self.sizeFits(type: type, size) else { throw .malformed(at: start, reason: "WireGuard message size") }
        // WireGuard writes its indices and counter little-endian (whitepaper §5.4).
        index = try input.read(UInt32.self).byteSwapped
        counter = type == 4 ? try input.read(UInt64.self).byteSwapped : nil
        try input.skip(input.remaining)
    }

    /// Each type's size: initiation 148, response 92, cookie reply 64, transport data 32 + 16n.
    static func sizeFits(type: UInt8, _ size: Int) -> Bool {
        switch type {
        case 1: size == 148
        case 2: size == 92
        case 3: size == 64
        case 4: size >= 32 && size & 15 == 0
        default: false
        }
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

    /// Whether a datagram on a flow already confirmed as WireGuard is WireGuard's, whole or broken:
    /// its first word has zero reserved bytes (broken if cut short, of a wrong size or of an unknown
    /// type), or a known type at that type's size (broken by a reserved byte set). Anything else is
    /// another protocol on the same sockets (Tailscale's disco messages, "TS💬…").
    public static func hasWireGuardShape(_ payload: UnsafeRawBufferPointer) -> Bool {
        let input = ByteCursor(payload)
        guard let word = try? input.peek(UInt32.self) else { return false }
        return word & 0x00FF_FFFF == 0 || sizeFits(type: UInt8(truncatingIfNeeded: word >> 24), payload.count)
    }

    /// A type the whitepaper defines (1–4): tshark names such a message WireGuard even when it is
    /// broken, and shows any other type as data.
    public static func hasKnownType(_ payload: UnsafeRawBufferPointer) -> Bool {
        let input = ByteCursor(payload)
        return (try? input.peek(UInt8.self)).map { (1...4).contains($0) } ?? false
    }
}
