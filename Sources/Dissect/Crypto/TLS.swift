import Wire

/// A TLS record header (RFC 5246 §6.2.1, RFC 8446 §5.1).
///
///     | content type 8 | legacy version 16 (0x0300–0x0304) | length 16 (≤ 2^14 + 2048) |
public struct TLSRecordHeader: Sendable, Equatable {
    public static let length = 5
    public var contentType: TLSContentType
    public var version: UInt16
    /// Bytes of the record body after this header.
    public var bodyLength: Int

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        contentType = TLSContentType(rawValue: try input.read(UInt8.self))
        version = try input.read(UInt16.self)
        bodyLength = Int(try input.read(UInt16.self))
        guard (20...24).contains(contentType.rawValue), version >> 8 == 3, version & 0xFF <= 4,
            bodyLength <= 16384 &+ 2048
        else { throw .malformed(at: start, reason: "TLS record header") }
    }

    /// The first bytes of a TCP stream look like a TLS record: a valid header is enough, as for
    /// tshark, even when the body is empty where it may not be (see `isForbiddenEmpty`).
    public static func probe(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(bytes)
        return (try? TLSRecordHeader(parsing: &input)) != nil
    }

    /// A record of this type with no body is malformed: "Implementations MUST NOT send zero-length
    /// fragments of Handshake, Alert, or ChangeCipherSpec content types" (RFC 5246 §6.2.1), and a
    /// heartbeat holds at least its type and length (RFC 6520 §4). Empty application data is allowed.
    public static func isForbiddenEmpty(_ type: TLSContentType, bodyLength: Int) -> Bool {
        bodyLength == 0 && type != .applicationData
    }
}

/// A ClientHello in SSL 2.0's record format, which TLS clients may send first for compatibility
/// (RFC 5246 Appendix E.2; Skype does on 443):
///
///     | 1 | msg_length 15 | msg_type 8 (1) | version 16 | cipher_spec_length 16 | session_id_length 16 |
///     | challenge_length 16 | cipher specs (3 bytes each) | session id | challenge (16–32) |
public enum SSLv2ClientHello {
    public static func probe(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let input = ByteCursor(bytes)
        guard let length = try? input.peek(UInt16.self), length & 0x8000 != 0,
            (try? input.peek(UInt8.self, at: 2)) == 1,
            let version = try? input.peek(UInt16.self, at: 3), version == 0x0002 || version >> 8 == 3,
            let cipherSpecs = try? input.peek(UInt16.self, at: 5),
            let sessionID = try? input.peek(UInt16.self, at: 7),
            let challenge = try? input.peek(UInt16.self, at: 9)
        else { return false }
        return cipherSpecs > 0 && cipherSpecs % 3 == 0 && (16...32).contains(challenge)
            && Int(length & 0x7FFF) == 9 + Int(cipherSpecs) + Int(sessionID) + Int(challenge)
    }
}

/// Record content types (IANA "TLS ContentType").
public struct TLSContentType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let changeCipherSpec = TLSContentType(rawValue: 20)
    public static let alert = TLSContentType(rawValue: 21)
    public static let handshake = TLSContentType(rawValue: 22)
    public static let applicationData = TLSContentType(rawValue: 23)
    public static let heartbeat = TLSContentType(rawValue: 24)
    public static let tls12CID = TLSContentType(rawValue: 25)
    public static let ack = TLSContentType(rawValue: 26)

    public var name: StaticString {
        switch rawValue {
        case 20: "ChangeCipherSpec"
        case 21: "Alert"
        case 22: "Handshake"
        case 23: "ApplicationData"
        case 24: "Heartbeat"
        case 25: "CID"
        case 26: "ACK"
        default: "Unknown"
        }
    }
}

/// A ClientHello or ServerHello body (RFC 5246 §7.4.1.2–7.4.1.3, RFC 8446 §4.1.2–4.1.3,
/// RFC 6347 §4.2.1 for DTLS's cookie), read for what identifies a tunnel or a media session:
///
///     ClientHello: version 16 | random 256 | session id <0..32> | [DTLS cookie <0..255>]
///                  | cipher suites <2..2^16-2> | compression <1..255> | extensions <0..2^16-1>
///     ServerHello: version 16 | random 256 | session id <0..32> | cipher suite 16 | compression 8 | extensions
///     extension:   type 16 | length 16 | data
///
/// Ranges are offsets from the first byte of the hello body (after the handshake header).
public struct TLSHello: Sendable, Equatable {
    public var isClientHello: Bool
    public var legacyVersion: UInt16
    /// ClientHello: how many suites were offered. ServerHello: 1.
    public var cipherSuiteCount: Int
    /// ServerHello: the suite chosen. ClientHello: the first offered.
    public var cipherSuite: UInt16
    /// A NULL-encryption suite was offered (ClientHello) or chosen (ServerHello): IP-HTTPS's mode.
    public var nullCipher: Bool
    /// server_name (RFC 6066 §3): the host name.
    public var serverName: Range<Int>?
    /// ALPN (RFC 7301 §3.1): the first protocol name.
    public var alpn: Range<Int>?
    /// use_srtp (RFC 5764 §4.1.1): DTLS-SRTP.
    public var useSRTP: Bool
    /// supported_versions (RFC 8446 §4.2.1): highest offered, or the one selected.
    public var supportedVersion: UInt16?

    public init(parsing input: inout ByteCursor, client: Bool, datagram: Bool) throws(DecodeError) {
        isClientHello = client
        legacyVersion = try input.read(UInt16.self)
        try input.skip(32)  // random
        try input.skip(Int(try input.read(UInt8.self)))  // session id
        nullCipher = false
        if client {
            if datagram { try input.skip(Int(try input.read(UInt8.self))) }  // cookie
            let suitesLength = Int(try input.read(UInt16.self))
            guard suitesLength & 1 == 0 else { throw .malformed(at: input.offset, reason: "TLS cipher suites") }
            var suites = try input.take(suitesLength)
            cipherSuiteCount = suitesLength / 2
            cipherSuite = (try? suites.peek(UInt16.self)) ?? 0
            while !nullCipher, let suite = try? suites.read(UInt16.self) { nullCipher = Self.isNullCipher(suite) }
            try input.skip(Int(try input.read(UInt8.self)))  // compression methods
        } else {
            cipherSuiteCount = 1
            cipherSuite = try input.read(UInt16.self)
            nullCipher = Self.isNullCipher(cipherSuite)
            try input.skip(1)
        }
        serverName = nil
        alpn = nil
        useSRTP = false
        supportedVersion = nil
        guard input.remaining >= 2 else { return }  // extensions are optional before TLS 1.3
        var extensions = try input.take(Int(try input.read(UInt16.self)))
        while extensions.remaining >= 4 {
            let type = try extensions.read(UInt16.self)
            let size = Int(try extensions.read(UInt16.self))
            let base = input.offset &- extensions.remaining
            var value = try extensions.take(size)
            switch type {
            case 0x0000 where client:  // server_name: list length, name type 0, name length, name
                try value.skip(3)
                let nameLength = Int(try value.read(UInt16.self))
                serverName = (base &+ 5)..<(base &+ 5 &+ nameLength)
                try value.skip(nameLength)
            case 0x0010:  // ALPN: list length, then length-prefixed names
                try value.skip(2)
                let nameLength = Int(try value.read(UInt8.self))
                alpn = (base &+ 3)..<(base &+ 3 &+ nameLength)
                try value.skip(nameLength)
            case 0x000E: useSRTP = true
            case 0x002B:
                if client {
                    var versions = try value.take(Int(try value.read(UInt8.self)))
                    while let v = try? versions.read(UInt16.self) {
                        guard v & 0x0F0F != 0x0A0A else { continue }  // GREASE (RFC 8701)
                        supportedVersion = Swift.max(supportedVersion ?? 0, v)
                    }
                } else {
                    supportedVersion = try value.read(UInt16.self)
                }
            default: break
            }
        }
    }

    /// Moves the ranges so they count from `offset` bytes earlier (the enclosing header).
    mutating func shift(by offset: Int) {
        serverName = serverName.map { ($0.lowerBound &+ offset)..<($0.upperBound &+ offset) }
        alpn = alpn.map { ($0.lowerBound &+ offset)..<($0.upperBound &+ offset) }
    }

    /// TLS_NULL_WITH_NULL_NULL and the RSA NULL suites (RFC 5246 App. A.5), TLS 1.3 integrity-only (RFC 9150).
    static func isNullCipher(_ suite: UInt16) -> Bool {
        switch suite {
        case 0x0000, 0x0001, 0x0002, 0x002C, 0x002D, 0x002E, 0x003B, 0xC0B4, 0xC0B5: return true
        default: return false
        }
    }
}

/// The first handshake message inside a TLS handshake record (RFC 5246 §7.4):
///
///     | msg type 8 (1 ClientHello, 2 ServerHello, …) | length 24 | body |
public struct TLSHandshake: Sendable, Equatable {
    public var messageType: UInt8
    public var hello: TLSHello?

    /// Parses from the start of a handshake record's body; hello ranges count from the message's first byte.
    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        messageType = try input.read(UInt8.self)
        let length = Int(try input.read(UInt8.self)) << 16 | Int(try input.read(UInt16.self))
        var body = input.takeAtMost(length)
        switch messageType {
        case 1: hello = try TLSHello(parsing: &body, client: true, datagram: false)
        case 2: hello = try TLSHello(parsing: &body, client: false, datagram: false)
        default: hello = nil
        }
        hello?.shift(by: 4)
    }

    public var name: StaticString { TLSHandshake.name(messageType) }

    public static func name(_ type: UInt8) -> StaticString {
        switch type {
        case 0: "HelloRequest"
        case 1: "ClientHello"
        case 2: "ServerHello"
        case 3: "HelloVerifyRequest"
        case 4: "NewSessionTicket"
        case 8: "EncryptedExtensions"
        case 11: "Certificate"
        case 12: "ServerKeyExchange"
        case 13: "CertificateRequest"
        case 14: "ServerHelloDone"
        case 15: "CertificateVerify"
        case 16: "ClientKeyExchange"
        case 20: "Finished"
        default: "Handshake"
        }
    }
}
