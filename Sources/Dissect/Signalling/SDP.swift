import Wire

/// The parts of an SDP body (RFC 8866 §5) that locate a call's media: `c=` and `m=` lines,
/// `a=ice-ufrag`, `a=rtcp-mux`, and every `a=candidate` (RFC 8839 §5.1):
///
///     a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///                 [raddr <related address>] [rport <related port>] *(<extension name> <value>)
///
/// Ranges count from the first byte of the body.
public struct SDPSummary: Sendable, Equatable {
    /// The first `c=` address (session level, or the first media's).
    public var connectionAddress: Range<Int>?
    public var mediaCount = 0
    public var candidateCount = 0
    public var iceUfrag: Range<Int>?
    public var rtcpMux = false

    public init(parsing body: ByteCursor) {
        SDP.forEachLine(body) { range, line in
            if line.hasPrefix("m=") {
                mediaCount &+= 1
            } else if line.hasPrefix("c=IN IP"), connectionAddress == nil, line.remaining > 9 {
                connectionAddress = (range.lowerBound &+ 9)..<range.upperBound
            } else if line.hasPrefix("a=candidate:") {
                candidateCount &+= 1
            } else if line.hasPrefix("a=ice-ufrag:") {
                iceUfrag = (range.lowerBound &+ 12)..<range.upperBound
            } else if line.hasPrefix("a=rtcp-mux") {
                rtcpMux = true
            }
        }
    }
}

/// One ICE candidate line, as offsets plus the numbers in it.
public struct ICECandidate: Sendable, Equatable {
    public var foundation: Range<Int>
    public var component: Int
    public var transport: Range<Int>
    public var priority: UInt32
    public var address: Range<Int>
    public var port: UInt16
    public var type: CandidateType
    public var relatedAddress: Range<Int>?
    public var relatedPort: UInt16?

    public enum CandidateType: String, Sendable { case host, srflx, prflx, relay, unknown }
}

public enum SDP {
    /// Calls `body` with each line's range (in the body's coordinates) and a cursor over it.
    public static func forEachLine(_ sdp: ByteCursor, _ body: (Range<Int>, ByteCursor) -> Void) {
        var input = sdp
        var lines = 0
        while lines < 4096, let range = input.readLine(), let line = input.slice(range) {
            body(range, line)
            lines &+= 1
        }
    }

    /// Every `a=candidate` line of an SDP body, parsed.
    public static func forEachCandidate(_ sdp: ByteCursor, _ body: (ICECandidate) -> Void) {
        forEachLine(sdp) { range, line in
            guard line.hasPrefix("a=candidate:") else { return }
            if let candidate = parseCandidate(line, base: range.lowerBound) { body(candidate) }
        }
    }

    /// Parses the text after `a=candidate:`; `base` is the line's offset in the body.
    static func parseCandidate(_ line: ByteCursor, base: Int) -> ICECandidate? {
        var fields = line
        guard (try? fields.skip(12)) != nil else { return nil }
        var tokens: (Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>?) = (
            nil, nil, nil, nil, nil, nil
        )
        func next() -> Range<Int>? {
            while (try? fields.peek(UInt8.self)) == 0x20 { _ = try? fields.skip(1) }
            let start = fields.offset
            while let c = try? fields.peek(UInt8.self), c != 0x20 { _ = try? fields.skip(1) }
            return fields.offset > start ? start..<fields.offset : nil
        }
        func number(_ r: Range<Int>?) -> Int? { r.flatMap { line.slice($0) }.flatMap(parseDecimal) }
        tokens = (next(), next(), next(), next(), next(), next())
        guard let foundation = tokens.0, let component = number(tokens.1), let transport = tokens.2,
            let priority = number(tokens.3), let address = tokens.4, let port = number(tokens.5), port <= 0xFFFF
        else { return nil }
        var candidate = ICECandidate(
            foundation: (base &+ foundation.lowerBound)..<(base &+ foundation.upperBound),
            component: component,
            transport: (base &+ transport.lowerBound)..<(base &+ transport.upperBound),
            priority: UInt32(truncatingIfNeeded: priority),
            address: (base &+ address.lowerBound)..<(base &+ address.upperBound),
            port: UInt16(port),
            type: .unknown
        )
        while let key = next() {
            guard let keyCursor = line.slice(key) else { break }
            let value = next()
            if keyCursor.hasPrefix("typ"), key.count == 3, let v = value.flatMap({ line.slice($0) }) {
                candidate.type =
                    v.hasPrefix("host")
                    ? .host
                    : v.hasPrefix("srflx")
                        ? .srflx
                        : v.hasPrefix("prflx")
                            ? .prflx
                            : v.hasPrefix("relay") ? .relay : .unknown
            } else if keyCursor.hasPrefix("raddr"), let value {
                candidate.relatedAddress = (base &+ value.lowerBound)..<(base &+ value.upperBound)
            } else if keyCursor.hasPrefix("rport"), let p = number(value), p <= 0xFFFF {
                candidate.relatedPort = UInt16(p)
            }
        }
        return candidate
    }
}
