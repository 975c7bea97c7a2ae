/// A capture timestamp in nanoseconds since the Unix epoch (good until the year 2262).
public struct Timestamp: Hashable, Sendable, Comparable {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    @inlinable public init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    @inlinable public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Seconds from `origin` to `self`, as a Double.
    @inlinable public func seconds(since origin: Timestamp) -> Double {
        Double(nanoseconds &- origin.nanoseconds) / 1e9
    }
}

/// What libpcap tells about one captured frame, before any decoding.
public struct PacketMeta: Sendable {
    /// 1-based frame number, as Wireshark shows it.
    public var frame: Int
    public var timestamp: Timestamp
    public var capturedLength: Int
    public var wireLength: Int

    @inlinable
    public init(frame: Int, timestamp: Timestamp, capturedLength: Int, wireLength: Int) {
        self.frame = frame
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.wireLength = wireLength
    }
}
