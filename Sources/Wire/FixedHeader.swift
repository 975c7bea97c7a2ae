/// A fixed-size header whose length was checked once: fields are then read at constant offsets
/// without a throwing check each (tcpdump's ND_TCHECK_LEN followed by field reads).
///
/// Every accessor still guards its own range and yields 0 for an offset past the checked length,
/// which can only be a programming mistake in a parser, never a trap.
public struct FixedHeader {
    @usableFromInline let bytes: UnsafeRawBufferPointer

    @inlinable init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable @inline(__always)
    public func u8(_ offset: Int) -> UInt8 {
        guard offset >= 0, offset < bytes.count else { return 0 }
        return bytes.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inlinable @inline(__always)
    public func u16(_ offset: Int) -> UInt16 {
        guard offset >= 0, offset &+ 2 <= bytes.count else { return 0 }
        return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public func u32(_ offset: Int) -> UInt32 {
        guard offset >= 0, offset &+ 4 <= bytes.count else { return 0 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    public func u64(_ offset: Int) -> UInt64 {
        guard offset >= 0, offset &+ 8 <= bytes.count else { return 0 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

extension ByteCursor {
    /// Checks that `size` bytes remain, moves past them and returns them as a `FixedHeader`.
    @inlinable @inline(__always)
    public mutating func readHeader(_ size: Int) throws(DecodeError) -> FixedHeader {
        guard size >= 0, remaining >= size else { throw DecodeError.truncated(at: offset, wanted: size) }
        defer { position &+= size }
        return FixedHeader(nextBytes(size))
    }
}
