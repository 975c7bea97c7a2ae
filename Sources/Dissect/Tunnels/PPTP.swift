import Wire

/// The header every PPTP control message on TCP 1723 starts with (RFC 2637 §2).
///
///     | length 16 (whole message) | PPTP message type 16 (1 = control) |
///     | magic cookie 32 = 0x1A2B3C4D                                    |
///     | control message type 16   | reserved0 16                       |
public struct PPTPControlHeader: Sendable, Equatable {
    public static let port: UInt16 = 1723
    /// Always this constant (§2.1): a check that the receiver is in step with the TCP stream.
    public static let magicCookie: UInt32 = 0x1A2B_3C4D

    public var cookie: UInt32
    /// 1 Start-Control-Connection-Request … 15 Set-Link-Info.
    public var controlType: UInt16

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        try input.skip(4)  // length, PPTP message type
        cookie = try input.read(UInt32.self)
        controlType = try input.read(UInt16.self)
    }

    /// A message whose cookie is not the constant: the stream is out of step, or the header damaged.
    public var hasMagicCookie: Bool { cookie == Self.magicCookie }

    /// Whether a stream's first bytes are a PPTP control message: the cookie at offset 4.
    public static func probe(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (try? ByteCursor(bytes).peek(UInt32.self, at: 4)) == magicCookie
    }
}
