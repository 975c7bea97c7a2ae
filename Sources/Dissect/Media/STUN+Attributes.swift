import Wire

/// The attributes of one STUN message that matter for telling a call's path (RFC 8489 §14,
/// RFC 8656 §18, RFC 8445 §16.1, MS-TURN §2.2.2, MS-ICE2 §2.2). Byte ranges are offsets from the
/// first byte of the STUN message, so text is only made when a report asks for it
/// (`STUNMessage.text(_:in:)`).
///
/// Each attribute is a TLV padded to 32 bits:
///
///     | type 16 | length 16 (value bytes, padding excluded) | value … | padding to 4 |
public struct STUNAttributes: Sendable {
    /// MAPPED-ADDRESS 0x0001: the reflexive address in plain text (RFC 3489 servers, MS-TURN).
    public var mappedAddress: Endpoint?
    /// XOR-MAPPED-ADDRESS 0x0020 (and draft code point 0x8020): what the NAT made of the sender.
    public var xorMappedAddress: Endpoint?
    /// XOR-RELAYED-ADDRESS 0x0016: the relay candidate allocated on the TURN server.
    public var xorRelayedAddress: Endpoint?
    /// XOR-PEER-ADDRESS 0x0012 (RFC TURN), or MS-TURN's plain Remote Address under the same number.
    public var peerAddress: Endpoint?
    /// MS-TURN DESTINATION-ADDRESS 0x0011: the peer a Send request or Set Active Destination targets.
    public var destinationAddress: Endpoint?
    /// ALTERNATE-SERVER 0x8023 (MS-TURN: 0x000E).
    public var alternateServer: Endpoint?

    public var username: Range<Int>?
    public var realm: Range<Int>?
    public var nonce: Range<Int>?
    public var software: Range<Int>?
    /// DATA 0x0013: the relayed datagram inside a Send/Data indication.
    public var data: Range<Int>?
    /// ERROR-CODE 0x0009 as class × 100 + number (e.g. 401, 438, 487).
    public var errorCode: UInt16?
    public var errorReason: Range<Int>?

    public var priority: UInt32?
    public var useCandidate = false
    public var iceControlling: UInt64?
    public var iceControlled: UInt64?
    public var lifetime: UInt32?
    public var channelNumber: UInt16?
    /// REQUESTED-TRANSPORT 0x0019: IP protocol number (17 UDP, 6 TCP).
    public var requestedTransport: UInt8?
    public var hasMessageIntegrity = false
    public var hasFingerprint = false

    /// MS-TURN MAGIC-COOKIE 0x000F was the first attribute.
    public var msMagicCookie = false
    /// MS-VERSION 0x8008: 1 ICE … 5/6 multiplexed TURN.
    public var msVersion: UInt32?
    /// MS-IMPLEMENTATION-VERSION 0x8070 (MS-ICE2).
    public var msImplementationVersion: UInt32?
    /// MS-SERVICE-QUALITY 0x8055: stream type (1 audio, 2 video, 3 supplemental video, 4 data).
    public var msStreamType: UInt16?
    /// MS-SEQUENCE-NUMBER 0x8050: the sequence number after the 20-byte connection id.
    public var msSequenceNumber: UInt32?
    /// MS-MULTIPLEXED-TURN-SESSION-ID 0x8095.
    public var msMultiplexedSessionID: UInt64?
    /// MS-CANDIDATE-IDENTIFIER 0x8054 (MS-ICE2 foundation).
    public var msCandidateIdentifier: UInt32?
    /// MS-TURN BANDWIDTH 0x0010, kbps.
    public var bandwidth: UInt32?

    /// How many attributes the message had, how many were not understood, and how many were
    /// understood but held impossible values (counted, not thrown: the message is still STUN).
    public var count = 0
    public var unknownCount = 0
    public var malformedCount = 0

    public init() {}
}

/// Attribute numbers (IANA "STUN Attributes"; MS-TURN §2.2.2; MS-ICE2 §2.2).
public enum STUNAttribute {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let channelNumber: UInt16 = 0x000C
    public static let lifetime: UInt16 = 0x000D
    public static let msAlternateServer: UInt16 = 0x000E
    public static let msMagicCookie: UInt16 = 0x000F
    public static let msBandwidth: UInt16 = 0x0010
    public static let msDestinationAddress: UInt16 = 0x0011
    public static let xorPeerAddress: UInt16 = 0x0012
    public static let data: UInt16 = 0x0013
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let xorRelayedAddress: UInt16 = 0x0016
    public static let requestedTransport: UInt16 = 0x0019
    public static let messageIntegritySHA256: UInt16 = 0x001C
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let msVersion: UInt16 = 0x8008
    public static let xorMappedAddressDraft: UInt16 = 0x8020
    public static let software: UInt16 = 0x8022
    public static let alternateServer: UInt16 = 0x8023
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A
    public static let msSequenceNumber: UInt16 = 0x8050
    public static let msCandidateIdentifier: UInt16 = 0x8054
    public static let msServiceQuality: UInt16 = 0x8055
    public static let msImplementationVersion: UInt16 = 0x8070
    public static let msMultiplexedTURNSessionID: UInt16 = 0x8095
}

extension STUNAttributes {
    /// Walks the attribute list of one message body (`body` covers exactly the attributes).
    /// A TLV running past the body is `truncated`; a known attribute with a bad value is counted in
    /// `malformedCount` and skipped.
    mutating func parse(_ body: inout ByteCursor, dialect: STUNDialect, id: STUNTransactionID) throws(DecodeError) {
        let ms = dialect == .msTURN
        while body.remaining >= 4 {
            let code = try body.read(UInt16.self)
            let size = Int(try body.read(UInt16.self))
            // An attribute longer than what is left (seen from Teams relays, whose message lengths
            // are not multiples of 4): keep the attributes read so far, as Wireshark does, and mark it.
            guard size <= body.remaining else {
                malformedCount &+= 1
                return
            }
            let valueStart = STUN.headerLength &+ body.offset
            var value = try body.take(size)
            // Values are padded to 32 bits (RFC 8489 §14); some legacy stacks omit the last pad.
            try body.skip(Swift.min((4 &- size & 3) & 3, body.remaining))
            count &+= 1
            let range = valueStart..<(valueStart &+ size)
            let decoded = value.attempt { (v: inout ByteCursor) throws(DecodeError) in
                try self.decode(code, &v, range: range, ms: ms, id: id)
            }
            switch decoded {
            case true?: break
            case false?: unknownCount &+= 1
            case nil: malformedCount &+= 1
            }
        }
        if body.remaining != 0 { malformedCount &+= 1 }  // 1–3 stray bytes after the last attribute
    }

    /// Decodes one known attribute; returns false when the code is not one we keep.
    private mutating func decode(
        _ code: UInt16,
        _ value: inout ByteCursor,
        range: Range<Int>,
        ms: Bool,
        id: STUNTransactionID
    ) throws(DecodeError) -> Bool {
        switch code {
        case STUNAttribute.mappedAddress: mappedAddress = try Self.address(&value, xor: nil)
        case STUNAttribute.xorMappedAddress, STUNAttribute.xorMappedAddressDraft:
            xorMappedAddress = try Self.address(&value, xor: id)
        case STUNAttribute.xorRelayedAddress: xorRelayedAddress = try Self.address(&value, xor: id)
        case STUNAttribute.xorPeerAddress: peerAddress = try Self.address(&value, xor: ms ? nil : id)
        case STUNAttribute.msDestinationAddress where ms: destinationAddress = try Self.address(&value, xor: nil)
        case STUNAttribute.alternateServer: alternateServer = try Self.address(&value, xor: nil)
        case STUNAttribute.msAlternateServer where ms: alternateServer = try Self.address(&value, xor: nil)
        case STUNAttribute.username: username = range
        case STUNAttribute.realm: if ms { nonce = range } else { realm = range }  // MS-TURN swaps 0x0014/0x0015
        case STUNAttribute.nonce: if ms { realm = range } else { nonce = range }
        case STUNAttribute.software: software = range
        case STUNAttribute.data: data = range
        case STUNAttribute.errorCode:
            // RFC 8489 §14.8: 21 reserved bits, class (3 bits, hundreds), number (0–99), reason.
            let word = try value.read(UInt32.self)
            let errorClass = UInt16((word >> 8) & 0x7)
            let number = UInt16(word & 0xFF)
            guard errorClass >= 3, errorClass <= 6, number < 100 else {
                throw .malformed(at: value.offset, reason: "STUN error class")
            }
            errorCode = errorClass &* 100 &+ number
            errorReason = (range.lowerBound &+ 4)..<range.upperBound
        case STUNAttribute.priority: priority = try value.read(UInt32.self)
        case STUNAttribute.useCandidate: useCandidate = true
        case STUNAttribute.iceControlling: iceControlling = try value.read(UInt64.self)
        case STUNAttribute.iceControlled: iceControlled = try value.read(UInt64.self)
        case STUNAttribute.lifetime: lifetime = try value.read(UInt32.self)
        case STUNAttribute.channelNumber: channelNumber = try value.read(UInt16.self)
        case STUNAttribute.requestedTransport: requestedTransport = try value.read(UInt8.self)
        case STUNAttribute.messageIntegrity, STUNAttribute.messageIntegritySHA256: hasMessageIntegrity = true
        case STUNAttribute.fingerprint: hasFingerprint = true
        case STUNAttribute.msMagicCookie: msMagicCookie = true
        case STUNAttribute.msBandwidth where ms: bandwidth = try value.read(UInt32.self)
        case STUNAttribute.msVersion: msVersion = try value.read(UInt32.self)
        case STUNAttribute.msImplementationVersion: msImplementationVersion = try value.read(UInt32.self)
        case STUNAttribute.msServiceQuality: msStreamType = try value.read(UInt16.self)
        case STUNAttribute.msSequenceNumber:
            try value.skip(20)  // connection id
            msSequenceNumber = try value.read(UInt32.self)
        case STUNAttribute.msMultiplexedTURNSessionID: msMultiplexedSessionID = try value.read(UInt64.self)
        case STUNAttribute.msCandidateIdentifier: msCandidateIdentifier = try value.read(UInt32.self)
        default: return false
        }
        return true
    }

    /// An address attribute (RFC 8489 §14.1–14.2):
    ///
    ///     | reserved 8 | family 8 (1 IPv4, 2 IPv6) | port 16 | address 32 or 128 |
    ///
    /// XOR-ed ones XOR the port with the top half of bytes 4–7 of the header, the IPv4 address
    /// with bytes 4–7, and the IPv6 address with bytes 4–19 — what Wireshark does whether or not
    /// those bytes hold the RFC 5389 cookie.
    static func address(_ value: inout ByteCursor, xor id: STUNTransactionID?) throws(DecodeError) -> Endpoint {
        try value.skip(1)
        let family = try value.read(UInt8.self)
        var port = try value.read(UInt16.self)
        if let id { port ^= UInt16(truncatingIfNeeded: id.high >> 48) }
        switch family {
        case 1:
            var v4 = try value.read(UInt32.self)
            if let id { v4 ^= UInt32(truncatingIfNeeded: id.high >> 32) }
            return Endpoint(address: IPAddress(v4: v4), port: port)
        case 2:
            var high = try value.read(UInt64.self)
            var low = try value.read(UInt64.self)
            if let id {
                high ^= id.high
                low ^= id.low
            }
            return Endpoint(address: IPAddress(v6High: high, low: low), port: port)
        default:
            throw .malformed(at: value.offset, reason: "STUN address family")
        }
    }
}

extension STUNMessage {
    /// The UTF-8 text of an attribute range (USERNAME, REALM, SOFTWARE, …), made only when asked.
    /// `message` must be the bytes the message was parsed from, starting at its first byte.
    public static func text(_ range: Range<Int>, in message: UnsafeRawBufferPointer) -> String {
        guard range.lowerBound >= 0, range.upperBound <= message.count else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: message[range]), as: UTF8.self)
    }
}
