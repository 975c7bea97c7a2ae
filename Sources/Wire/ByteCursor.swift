/// A bounds-checked reader over borrowed packet bytes.
///
/// Every read checks `remaining` first and throws `DecodeError` instead of trapping; offsets are
/// relative to the start of the view the cursor was made from. The cursor borrows its bytes:
/// create it inside the scope that owns them and never store it.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    /// Never past `bytes.count`: it only moves after a check against `remaining`, so a sub-view
    /// ending at most `remaining` bytes further is in bounds without a second range check.
    @usableFromInline var position: Int = 0
    /// How far the cursor has read into its view.
    @inlinable public var offset: Int { position }

    @inlinable public var remaining: Int { bytes.count &- offset }
    @inlinable public var isAtEnd: Bool { offset >= bytes.count }

    @inlinable public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Reads a big-endian integer and moves past it.
    @inlinable @inline(__always)
    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(DecodeError) -> T {
        let width = MemoryLayout<T>.size
        guard remaining >= width else { throw DecodeError.truncated(at: offset, wanted: width) }
        defer { position &+= width }  // safe: offset + width <= bytes.count
        return T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Reads a little-endian integer (pcap headers of some link types, DLT_NULL).
    @inlinable @inline(__always)
    public mutating func readLittleEndian<T: FixedWidthInteger>(_: T.Type = T.self) throws(DecodeError) -> T {
        let width = MemoryLayout<T>.size
        guard remaining >= width else { throw DecodeError.truncated(at: offset, wanted: width) }
        defer { position &+= width }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A big-endian integer `distance` bytes ahead, without moving.
    @inlinable @inline(__always)
    public func peek<T: FixedWidthInteger>(_: T.Type = T.self, at distance: Int = 0) throws(DecodeError) -> T {
        let width = MemoryLayout<T>.size
        guard distance >= 0, remaining >= width, remaining &- width >= distance else {
            throw DecodeError.truncated(at: offset, wanted: distance &+ width)
        }
        return T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset &+ distance, as: T.self))
    }

    /// The next `count` bytes as their own cursor: a sub-parser cannot run past its record.
    @inlinable @inline(__always)
    public mutating func take(_ count: Int) throws(DecodeError) -> ByteCursor {
        guard count >= 0, remaining >= count else { throw DecodeError.truncated(at: offset, wanted: count) }
        defer { position &+= count }
        return ByteCursor(nextBytes(count))
    }

    /// Up to `count` bytes (fewer when the capture was cut short), as their own cursor.
    @inlinable @inline(__always)
    public mutating func takeAtMost(_ count: Int) -> ByteCursor {
        let n = Swift.max(0, Swift.min(count, remaining))
        defer { position &+= n }
        return ByteCursor(nextBytes(n))
    }

    /// Everything not read yet.
    @inlinable @inline(__always)
    public var rest: ByteCursor {
        ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[Swift.min(offset, bytes.count)...]))
    }

    /// The next `count` bytes, for a caller that checked `0 <= count <= remaining`.
    @inlinable @inline(__always)
    func nextBytes(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Range(uncheckedBounds: (position, position &+ count))])
    }

    @inlinable @inline(__always)
    public mutating func skip(_ count: Int) throws(DecodeError) {
        guard count >= 0, remaining >= count else { throw DecodeError.truncated(at: offset, wanted: count) }
        position &+= count
    }

    /// Tries `body`; on failure the cursor stays where it was.
    @inlinable @inline(__always)
    public mutating func attempt<R>(_ body: (inout ByteCursor) throws(DecodeError) -> R) -> R? {
        var trial = self
        do {
            let result = try body(&trial)
            self = trial
            return result
        } catch {
            return nil
        }
    }
}
