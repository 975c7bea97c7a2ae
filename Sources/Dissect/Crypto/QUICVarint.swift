import Wire

extension ByteCursor {
    /// A QUIC variable-length integer (RFC 9000 §16): the first byte's two high bits give its
    /// length (1, 2, 4 or 8 bytes), the other 6, 14, 30 or 62 bits its value.
    @inlinable
    public mutating func readQUICVarint() throws(DecodeError) -> UInt64 {
        let first = try peek(UInt8.self)
        switch first >> 6 {
        case 0: return UInt64(try read(UInt8.self))
        case 1: return UInt64(try read(UInt16.self) & 0x3FFF)
        case 2: return UInt64(try read(UInt32.self) & 0x3FFF_FFFF)
        default: return try read(UInt64.self) & 0x3FFF_FFFF_FFFF_FFFF
        }
    }

    /// A variable-length integer used as a byte count or offset within a datagram.
    @inlinable
    public mutating func readQUICLength() throws(DecodeError) -> Int {
        let start = offset
        let value = try readQUICVarint()
        guard value <= UInt64(Int32.max) else { throw .malformed(at: start, reason: "QUIC length") }
        return Int(value)
    }
}
