import Wire

/// The DTLS records of one datagram (RFC 6347 §4.1, RFC 9147 §4): several records may share a
/// datagram, so this walks them all and keeps a summary.
///
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | content type  |     version (0xFEFF, 0xFEFD)  |     epoch ... |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |  ... epoch    |          sequence number (48 bits) ...        |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |      ...      |            length             |   fragment …  |
///
/// Handshake messages carry a 12-byte header (`type 8 | length 24 | message_seq 16 |
/// fragment_offset 24 | fragment_length 24`). Versions: 0xFEFF DTLS 1.0, 0xFEFD DTLS 1.2 (and 1.3's
/// legacy field), 0x0100 Cisco's pre-standard DTLS (OpenSSL DTLS1_BAD_VER, AnyConnect).
/// DTLS 1.3 encrypted records use a unified header `001CSLEE` (first byte 0x20–0x3F).
public struct DTLSDatagram: Sendable, Equatable {
    public var firstContentType: TLSContentType
    public var version: UInt16
    public var recordCount: Int
    /// Handshake type of the first handshake record in epoch 0 (1 ClientHello, 2 ServerHello, …).
    public var handshakeType: UInt8?
    /// Ranges count from the datagram's first byte.
    public var hello: TLSHello?
    /// Records in the DTLS 1.3 unified header format (encrypted).
    public var unifiedHeaderRecords: Int

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        firstContentType = TLSContentType(rawValue: 0)
        version = 0
        recordCount = 0
        handshakeType = nil
        hello = nil
        unifiedHeaderRecords = 0
        while input.remaining > 0 {
            let recordStart = input.offset
            let first = try input.read(UInt8.self)
            if first & 0xE0 == 0x20 && recordCount > 0 {
                // RFC 9147 §4: 001C SLEE — optional CID (not decodable without state), 8/16-bit
                // sequence, optional length. Without a length the record fills the datagram.
                guard first & 0x10 == 0 else { try input.skip(input.remaining); unifiedHeaderRecords &+= 1; break }
                try input.skip(first & 0x08 != 0 ? 2 : 1)
                let length = first & 0x04 != 0 ? Int(try input.read(UInt16.self)) : input.remaining
                try input.skip(length)
                unifiedHeaderRecords &+= 1
                recordCount &+= 1
                continue
            }
            guard (20...26).contains(first) else { throw .malformed(at: recordStart, reason: "DTLS content type") }
            let recordVersion = try input.read(UInt16.self)
            guard
                recordVersion == 0xFEFF || recordVersion == 0xFEFD || recordVersion == 0xFEFC || recordVersion == 0x0100
            else { throw .malformed(at: recordStart &+ 1, reason: "DTLS version") }
            let epoch = try input.read(UInt16.self)
            try input.skip(6)  // sequence number
            let length = Int(try input.read(UInt16.self))
            var body = try input.take(length)
            if recordCount == 0 {
                firstContentType = TLSContentType(rawValue: first)
                version = recordVersion
            }
            if first == 22, epoch == 0, handshakeType == nil, let type = try? body.read(UInt8.self) {
                handshakeType = type
                let bodyStart = recordStart &+ 13 &+ 12
                if type == 1 || type == 2, (try? body.skip(11)) != nil {
                    hello = body.attempt { (b: inout ByteCursor) throws(DecodeError) in
                        try TLSHello(parsing: &b, client: type == 1, datagram: true)
                    }
                    hello?.shift(by: bodyStart &- start)
                }
            }
            recordCount &+= 1
        }
        guard recordCount > 0 else { throw .truncated(at: start, wanted: 13) }
    }

    /// First record header looks like DTLS: content type 20–26 and a DTLS version.
    public static func probe(_ payload: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(payload)
        return (try? DTLSDatagram(parsing: &input)) != nil
    }
}
