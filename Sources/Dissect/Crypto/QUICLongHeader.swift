import Wire

/// QUIC versions whose Initial packets can be opened: each publishes the salt its Initial keys
/// are derived with (RFC 9001 §5.2, RFC 9369 §3.3.1, draft-ietf-quic-tls-29 §5.2).
public enum QUICVersion: Sendable, Equatable {
    case v1, v2
    /// Drafts 29 to 32, which share draft 29's salt.
    case draft29

    @inlinable
    public init?(wire: UInt32) {
        switch wire {
        case 0x0000_0001: self = .v1
        case 0x6B33_43CF: self = .v2
        case 0xFF00_001D...0xFF00_0020: self = .draft29
        default: return nil
        }
    }

    /// The packet type of the two type bits of a long header (RFC 9369 §3.2 renumbers them).
    func packetType(_ bits: UInt8) -> QUICPacketType {
        switch (self == .v2 ? bits &+ 3 : bits) & 3 {
        case 0: .initial
        case 1: .zeroRTT
        case 2: .handshake
        default: .retry
        }
    }
}

public enum QUICPacketType: Sendable, Equatable {
    case initial, zeroRTT, handshake, retry
}

/// A long-header packet of a known QUIC version (RFC 9000 §17.2), read up to its protected packet number:
///
///     | 1 | fixed 1 | type 2 | protected 4 | version 32 | DCID length 8 | DCID | SCID length 8 | SCID |
///     Initial:          | token length (i) | token | length (i) | packet number 8–32 | payload |
///     0-RTT, Handshake: | length (i) | packet number 8–32 | payload |
///     Retry:            | retry token | integrity tag 128 |
///
/// Ranges count from the first byte of the datagram; packets coalesced after this one start at `end`.
public struct QUICLongHeader: Sendable, Equatable {
    public var version: QUICVersion
    public var type: QUICPacketType
    public var destinationID: Range<Int>
    public var sourceID: Range<Int>
    /// Where the protected packet number starts (Retry: where its token starts).
    public var packetNumberOffset: Int
    /// One past the packet's last byte: `length` counts the packet number and the payload.
    public var end: Int

    /// Connection IDs are at most 20 bytes in every known version (RFC 9000 §17.2).
    public static let maxConnectionIDLength = 20

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let first = try input.read(UInt8.self)
        guard first & 0xC0 == 0xC0 else { throw .malformed(at: 0, reason: "QUIC long header") }
        guard let version = QUICVersion(wire: try input.read(UInt32.self)) else {
            throw .malformed(at: 1, reason: "QUIC version")
        }
        self.version = version
        type = version.packetType(first >> 4)
        destinationID = try Self.connectionID(&input)
        sourceID = try Self.connectionID(&input)
        if type == .retry {
            packetNumberOffset = input.offset
            end = input.offset &+ input.remaining
            return
        }
        if type == .initial { try input.skip(try input.readQUICLength()) }  // token
        let length = try input.readQUICLength()
        packetNumberOffset = input.offset
        guard length >= 1, length <= input.remaining else { throw .truncated(at: input.offset, wanted: length) }
        end = input.offset &+ length
    }

    /// A cheap first look for the per-datagram path: the long-header and fixed bits, then a known version.
    @inlinable @inline(__always)
    public static func probe(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 7, bytes[0] & 0xC0 == 0xC0 else { return false }
        return QUICVersion(wire: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt32.self))) != nil
    }

    private static func connectionID(_ input: inout ByteCursor) throws(DecodeError) -> Range<Int> {
        let length = Int(try input.read(UInt8.self))
        guard length <= maxConnectionIDLength else {
            throw .malformed(at: input.offset &- 1, reason: "QUIC connection ID length")
        }
        let start = input.offset
        try input.skip(length)
        return start..<(start &+ length)
    }
}
