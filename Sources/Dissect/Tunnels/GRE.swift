import Wire

/// GRE (RFC 2784, RFC 2890 keys and sequence numbers) and enhanced GRE version 1 (RFC 2637,
/// PPTP), which always carries a key (payload length + call id) and may carry an ack.
///
///     | C R K S s Recur A Flags Ver | protocol type |
///     | [checksum | reserved1] [key] [sequence] [ack (v1)] |
public enum GRE {
    /// Reads the header, and the PPP header of PPTP's payload. `wireLength` is the GRE packet's
    /// length on the wire (the captured bytes plus any the capture cut off): version 1's payload
    /// length, "not including the GRE header" (RFC 2637 §4.1), must be what follows the header.
    /// A disagreement is returned, not thrown, so the packet inside is still decoded (as tshark does).
    public static func decode(
        _ input: inout ByteCursor,
        wireLength: Int
    ) throws(DecodeError) -> (inner: NetworkProtocol, payloadLengthAgrees: Bool) {
        let start = input.offset
        let flags = try input.read(UInt16.self)
        let protocolType = try input.read(UInt16.self)
        let version = flags & 0x0007
        guard version <= 1 else { throw .malformed(at: start, reason: "GRE version") }
        if flags & 0x8000 != 0 || flags & 0x4000 != 0 { try input.skip(4) }  // checksum (+ offset)
        var payloadLength: Int?
        if flags & 0x2000 != 0 {  // key (v1: payload length, call id)
            let key = try input.read(UInt32.self)
            if version == 1 { payloadLength = Int(key >> 16) }
        }
        if flags & 0x1000 != 0 { try input.skip(4) }  // sequence number
        if version == 1 && flags & 0x0080 != 0 { try input.skip(4) }  // acknowledgment number
        if flags & 0x4000 != 0 {  // source routing (RFC 1701): SREs until a NULL one
            var entries = 0
            while true {
                let family = try input.read(UInt16.self)
                try input.skip(1)
                let length = Int(try input.read(UInt8.self))
                if family == 0 && length == 0 { break }
                try input.skip(length)
                entries &+= 1
                guard entries < 16 else { throw .malformed(at: input.offset, reason: "GRE routing") }
            }
        }
        let agrees = payloadLength.map { $0 == wireLength &- (input.offset &- start) } ?? true
        if protocolType == 0x880B { return (try PPP.decode(&input), agrees) }
        return (NetworkProtocol(etherType: protocolType), agrees)
    }
}
