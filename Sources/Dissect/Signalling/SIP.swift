import Wire

/// A SIP message (RFC 3261 §7): a start line, header lines, an empty line, and a body whose size
/// Content-Length gives (mandatory over TCP, §20.14; over UDP the datagram ends the message).
///
///     INVITE sip:bob@example.com SIP/2.0          SIP/2.0 200 OK
///     Call-ID: …  (compact form "i:")             From/To ("f:"/"t:"), Content-Type ("c:"),
///     Content-Length: 142  ("l:")                 …
///     <CRLF>
///     v=0 …  (SDP, RFC 8866)
///
/// Ranges count from the message's first byte; text is made only when a report needs it.
public struct SIPMessage: Sendable, Equatable {
    /// Request method token (INVITE, BYE, …); nil for a response.
    public var method: Range<Int>?
    /// Response status code; nil for a request.
    public var statusCode: Int?
    public var callID: Range<Int>?
    public var from: Range<Int>?
    public var to: Range<Int>?
    public var contentLength: Int?
    /// Content-Type is application/sdp.
    public var hasSDP: Bool
    public var body: Range<Int>
    /// Header, empty line and body: what the message occupies in a stream.
    public var totalLength: Int

    public var isRequest: Bool { method != nil }

    /// Parses one message. Over a stream (`stream: true`) a message whose body is not all there yet
    /// is `truncated`; over UDP the body is whatever follows the header.
    public init(parsing input: inout ByteCursor, stream: Bool) throws(DecodeError) {
        let origin = input.offset
        guard let startLine = input.readLine(), let line = input.slice(startLine) else {
            throw .truncated(at: origin, wanted: 1)
        }
        method = nil
        statusCode = nil
        if line.hasPrefix("SIP/2.0 ") {
            var code = line
            try code.skip(8)
            statusCode = parseDecimal(code.takeAtMost(3))
            guard statusCode != nil else { throw .malformed(at: origin, reason: "SIP status code") }
        } else {
            guard let space = Self.firstIndex(of: 0x20, in: line), space > 0, Self.endsWithVersion(line) else {
                throw .malformed(at: origin, reason: "SIP request line")
            }
            method = (startLine.lowerBound &- origin)..<(startLine.lowerBound &+ space &- origin)
        }
        callID = nil
        from = nil
        to = nil
        contentLength = nil
        hasSDP = false
        var headerEnded = false
        var lines = 0
        while let range = input.readLine() {
            guard range.count > 0, let header = input.slice(range) else {
                headerEnded = true
                break
            }
            lines &+= 1
            guard lines < 256, let colon = Self.firstIndex(of: 0x3A, in: header) else { continue }
            var value = header
            try value.skip(colon &+ 1)
            while (try? value.peek(UInt8.self)) == 0x20 { try value.skip(1) }
            let valueRange = (range.lowerBound &+ value.offset &- origin)..<(range.upperBound &- origin)
            var name = header
            let nameCursor = name.takeAtMost(colon)
            switch Self.headerName(nameCursor) {
            case .callID: callID = valueRange
            case .from: from = valueRange
            case .to: to = valueRange
            case .contentLength: contentLength = parseDecimal(Self.trimmed(value))
            case .contentType: hasSDP = value.hasPrefix("application/sdp", caseInsensitive: true)
            case .other: break
            }
        }
        guard headerEnded || !stream else { throw .truncated(at: input.offset, wanted: 2) }
        let bodyStart = input.offset &- origin
        let bodyLength = stream ? (contentLength ?? 0) : Swift.min(contentLength ?? input.remaining, input.remaining)
        try input.skip(bodyLength)
        body = bodyStart..<(bodyStart &+ bodyLength)
        totalLength = input.offset &- origin
    }

    /// A datagram or stream start that looks like SIP: a status line, or a request line ending in SIP/2.0.
    public static func probe(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(bytes)
        if input.hasPrefix("SIP/2.0 ") { return true }
        guard let first = try? input.peek(UInt8.self), (0x41...0x5A).contains(first),
            let range = input.readLine(), range.count < 2048, let line = input.slice(range)
        else { return false }
        return endsWithVersion(line)
    }

    enum Header { case callID, from, to, contentLength, contentType, other }

    /// Header names are case-insensitive and have compact forms (RFC 3261 §7.3.3).
    static func headerName(_ name: ByteCursor) -> Header {
        var trimmed = name
        let n = trimmedCount(trimmed)
        trimmed = trimmed.takeAtMost(n)
        if n == 1, let c = try? trimmed.peek(UInt8.self) {
            switch asciiLower(c) {
            case 0x69: return .callID  // i
            case 0x66: return .from  // f
            case 0x74: return .to  // t
            case 0x6C: return .contentLength  // l
            case 0x63: return .contentType  // c
            default: return .other
            }
        }
        if n == 7, trimmed.hasPrefix("Call-ID", caseInsensitive: true) { return .callID }
        if n == 4, trimmed.hasPrefix("From", caseInsensitive: true) { return .from }
        if n == 2, trimmed.hasPrefix("To", caseInsensitive: true) { return .to }
        if n == 14, trimmed.hasPrefix("Content-Length", caseInsensitive: true) { return .contentLength }
        if n == 12, trimmed.hasPrefix("Content-Type", caseInsensitive: true) { return .contentType }
        return .other
    }

    /// Length without trailing spaces or tabs.
    static func trimmedCount(_ cursor: ByteCursor) -> Int {
        var n = cursor.remaining
        while n > 0, let c = try? cursor.peek(UInt8.self, at: n &- 1), c == 0x20 || c == 0x09 { n &-= 1 }
        return n
    }

    static func trimmed(_ cursor: ByteCursor) -> ByteCursor {
        var copy = cursor
        return copy.takeAtMost(trimmedCount(cursor))
    }

    static func firstIndex(of byte: UInt8, in cursor: ByteCursor) -> Int? {
        var i = 0
        while let c = try? cursor.peek(UInt8.self, at: i) {
            if c == byte { return i }
            i &+= 1
        }
        return nil
    }

    static func endsWithVersion(_ line: ByteCursor) -> Bool {
        let n = line.remaining
        guard n > 8 else { return false }
        var tail = line
        guard (try? tail.skip(n &- 8)) != nil else { return false }
        return tail.hasPrefix(" SIP/2.0")
    }
}
