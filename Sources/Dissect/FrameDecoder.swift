import Wire

/// Walks one frame from its link header down to every UDP and TCP header in it, following the
/// tunnels Wireshark follows by default (IP-in-IP, GRE, Teredo, L2TP, GTP-U, VXLAN) so the
/// parser never silently stops at a tunnel. ICMP error quotes are counted, not treated as traffic.
public struct FrameDecoder {
    public let link: LinkLayer
    /// What every frame's trail starts with: the link header's name, if it has one.
    private let linkTrail: LayerTrail
    public private(set) var counters = DecodeCounters()
    /// The outermost IP header's TTL / hop limit in the current frame (0 when none): packets a host
    /// sends leave with 64, 128 or 255, so it tells the capture's own host from remote ones.
    public private(set) var outerHopLimit: UInt8 = 0
    var fragments = IPFragmentTracker()
    /// The layers walked so far in the current frame; after `decode` returns, the deepest path.
    public private(set) var trail = LayerTrail()
    /// Set when the current frame's innermost IP payload is neither UDP nor TCP (ESP, GRE with
    /// encrypted PPP, …); its bytes are valid only until the next `decode`.
    public private(set) var terminal: TerminalPayload?
    /// Also decode the packet an ICMP error quotes, reporting its transport header with
    /// `insideICMPError` set (Wireshark dissects quotes; conversations must not count them).
    public var followsICMPQuotes = false
    private var insideICMPError = false
    /// Bytes of the current IP payload the capture left out (snaplen): a length field is checked
    /// against the wire, the captured bytes plus these.
    private var bytesCutOff = 0
    /// Set when a header broke a rule that does not stop the decoding (an L2TP or enhanced GRE
    /// length that disagrees with the packet): the frame counts as malformed, once.
    private var lengthDisagrees = false
    /// The hosts of the last ESP packet under an SPI IKE could have chosen (RFC 4303 §2.1).
    private var ikeKeyedESPHosts: (IPAddress, IPAddress)?

    /// Tunnels nested deeper than this are counted as malformed rather than followed.
    public static let maximumTunnelDepth = 6

    public init(link: LinkLayer) {
        self.link = link
        var linkTrail = LayerTrail()
        if let name = link.protocolName { linkTrail.append(name) }
        self.linkTrail = linkTrail
    }

    /// Decodes `frame`, calling `visit` once per transport header found, outermost first.
    public mutating func decode(
        _ frame: UnsafeRawBufferPointer,
        at time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) {
        counters.frames &+= 1
        outerHopLimit = 0
        trail = linkTrail
        terminal = nil
        insideICMPError = false
        lengthDisagrees = false
        var input = ByteCursor(frame)
        do throws(DecodeError) {
            switch try link.decode(&input) {
            case .ipv4: try decodeIPv4(&input, 0, time, visit)  // the common frame, decoded in this one function
            case .ipv6: try decodeIPv6(&input, 0, time, visit)
            case let network: try decodeNetwork(network, &input, depth: 0, at: time, visit)
            }
            if lengthDisagrees { counters.malformed &+= 1 }
        } catch {
            counters.malformed &+= 1
        }
    }

    mutating func decodeNetwork(
        _ network: NetworkProtocol,
        _ input: inout ByteCursor,
        depth: Int,
        at time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        guard depth <= Self.maximumTunnelDepth else { throw .malformed(at: input.offset, reason: "tunnel depth") }
        switch network {
        case .ipv4:
            try decodeIPv4(&input, depth, time, visit)
        case .ipv6:
            try decodeIPv6(&input, depth, time, visit)
        case .ethernet:
            trail.append(.eth)
            let inner = try Ethernet.decode(&input)
            try decodeNetwork(inner, &input, depth: depth, at: time, visit)
        case .ppp:
            trail.append(.ppp)
            let inner = try PPP.decode(&input)
            try decodeNetwork(inner, &input, depth: depth, at: time, visit)
        case .other:
            if depth == 0 { counters.nonIP &+= 1 }
        }
    }

    // Inlined into `decode` with the UDP or TCP header after it (`@inline(always)` all the way
    // down), so that the common frame is decoded in one function: the calls, and the header values
    // they passed through memory, cost more than the parsing itself.
    @inline(always)
    mutating func decodeIPv4(
        _ input: inout ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        trail.append(.ipv4)
        let (header, payload) = try IPv4Header.decode(&input)
        if depth == 0 { counters.ipv4 &+= 1 }
        let fragment =
            header.isFragment
            ? IPFragmentPosition(
                id: UInt32(header.identification),
                offset: header.fragmentOffset,
                more: header.moreFragments
            ) : nil
        try decodeIPBody(
            header.protocolNumber,
            header.source,
            header.destination,
            hopLimit: header.timeToLive,
            declaredLength: header.payloadLength,
            fragment,
            payload,
            depth,
            time,
            visit
        )
    }

    mutating func decodeIPv6(
        _ input: inout ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        trail.append(.ipv6)
        let (header, payload) = try IPv6Header.decode(&input)
        if depth == 0 { counters.ipv6 &+= 1 }
        var position: IPFragmentPosition?
        if let fragment = header.fragment, fragment.offset != 0 || fragment.moreFragments {
            position = IPFragmentPosition(
                id: fragment.identification,
                offset: fragment.offset,
                more: fragment.moreFragments
            )
        }
        try decodeIPBody(
            header.protocolNumber,
            header.source,
            header.destination,
            hopLimit: header.hopLimit,
            declaredLength: header.payloadLength,
            position,
            payload,
            depth,
            time,
            visit
        )
    }

    /// What follows either IP header: its payload, or the fragment it is part of.
    @inline(always)
    private mutating func decodeIPBody(
        _ protocolNumber: UInt8,
        _ source: IPAddress,
        _ destination: IPAddress,
        hopLimit: UInt8,
        declaredLength: Int,
        _ fragment: IPFragmentPosition?,
        _ payload: ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        if depth == 0 { outerHopLimit = hopLimit }
        bytesCutOff = Swift.max(0, declaredLength &- payload.remaining)
        if let fragment {
            try decodeFragment(
                source,
                destination,
                id: fragment.id,
                protocolNumber,
                offset: fragment.offset,
                more: fragment.more,
                payload,
                declaredLength,
                depth,
                time,
                visit
            )
            return
        }
        var rest = payload
        try decodeIPPayload(protocolNumber, source, destination, &rest, depth, time, visit)
    }

    /// UDP and TCP, nearly every packet, are decoded inline at each IP header; the rest out of line.
    @inline(always)
    mutating func decodeIPPayload(
        _ protocolNumber: UInt8,
        _ source: IPAddress,
        _ destination: IPAddress,
        _ input: inout ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        switch protocolNumber {
        case 17: try decodeUDP(source, destination, &input, depth, time, visit)
        case 6: try decodeTCP(source, destination, &input, depth, visit)
        default: try decodeOtherIPPayload(protocolNumber, source, destination, &input, depth, time, visit)
        }
    }

    @inline(always)
    mutating func decodeUDP(
        _ source: IPAddress,
        _ destination: IPAddress,
        _ input: inout ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        let (udp, payload) = try UDPHeader.decode(&input)
        counters.udp &+= 1
        if depth > 0 { counters.tunnelled &+= 1 }
        trail.append(.udp)
        visit(
            TransportSegment(
                transport: .udp,
                source: Endpoint(address: source, port: udp.sourcePort),
                destination: Endpoint(address: destination, port: udp.destinationPort),
                payload: payload.rest.bytes,
                tcp: nil,
                tunnelDepth: depth,
                reassembled: false,
                layers: trail,
                insideICMPError: insideICMPError
            )
        )
        if Self.isTunnelPort(udp.sourcePort) || Self.isTunnelPort(udp.destinationPort) {
            var inner = payload
            followUDPTunnel(udp, &inner, depth, time, visit)
        }
    }

    /// The ports `followUDPTunnel` follows: tested inline, so most datagrams skip the call.
    @inline(always)
    static func isTunnelPort(_ port: UInt16) -> Bool {
        switch port {
        case Teredo.port, L2TP.port, GTPU.port, VXLAN.port: true
        default: false
        }
    }

    /// Follows the tunnel a UDP datagram carries on a well-known port (Teredo, L2TP, GTP-U, VXLAN).
    mutating func followUDPTunnel(
        _ udp: UDPHeader,
        _ inner: inout ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) {
        let (tunnelled, tunnelName): (NetworkProtocol?, ProtocolName)
        switch (udp.sourcePort, udp.destinationPort) {
        case (Teredo.port, _), (_, Teredo.port): (tunnelled, tunnelName) = ((try? Teredo.decode(&inner)), .teredo)
        case (L2TP.port, _), (_, L2TP.port):
            decodeL2TP(&inner, datagramLength: udp.length == 0 ? nil : udp.length &- 8, depth, time, visit)
            return
        case (GTPU.port, _), (_, GTPU.port): (tunnelled, tunnelName) = ((try? GTPU.decode(&inner)), .gtp)
        case (VXLAN.port, _), (_, VXLAN.port): (tunnelled, tunnelName) = ((try? VXLAN.decode(&inner)), .vxlan)
        default: return
        }
        if let tunnelled, tunnelled != .other {
            trail.append(tunnelName)
            // A broken inner packet must not discard the outer one already reported.
            try? decodeNetwork(tunnelled, &inner, depth: depth &+ 1, at: time, visit)
        }
    }

    @inline(always)
    mutating func decodeTCP(
        _ source: IPAddress,
        _ destination: IPAddress,
        _ input: inout ByteCursor,
        _ depth: Int,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        let (tcp, payload) = try TCPHeader.decode(&input)
        counters.tcp &+= 1
        if depth > 0 { counters.tunnelled &+= 1 }
        trail.append(.tcp)
        visit(
            TransportSegment(
                transport: .tcp,
                source: Endpoint(address: source, port: tcp.sourcePort),
                destination: Endpoint(address: destination, port: tcp.destinationPort),
                payload: payload.bytes,
                tcp: tcp,
                tunnelDepth: depth,
                reassembled: false,
                layers: trail,
                insideICMPError: insideICMPError
            )
        )
    }

    /// Every IP payload other than UDP and TCP: ICMP, IP in IP, GRE, AH, ESP and the unknown.
    mutating func decodeOtherIPPayload(
        _ protocolNumber: UInt8,
        _ source: IPAddress,
        _ destination: IPAddress,
        _ input: inout ByteCursor,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        switch protocolNumber {
        case 1, 58:  // ICMP, ICMPv6: errors quote a packet, which is not traffic of its own
            counters.icmp &+= 1
            trail.append(.icmp)
            if followsICMPQuotes, !insideICMPError,
                let quoted = ICMPQuote.quotedNetwork(&input, v6: protocolNumber == 58)
            {
                insideICMPError = true
                try? decodeNetwork(quoted, &input, depth: depth, at: time, visit)
            }
        case 4:  // IPv4 in IP
            try decodeNetwork(.ipv4, &input, depth: depth &+ 1, at: time, visit)
        case 41:  // IPv6 in IP (6in4, 6to4, ISATAP)
            try decodeNetwork(.ipv6, &input, depth: depth &+ 1, at: time, visit)
        case 47:
            trail.append(.gre)
            if (try? input.peek(UInt16.self, at: 2)) == 0x880B { trail.append(.ppp) }
            terminal = TerminalPayload(
                source: source,
                destination: destination,
                protocolNumber: 47,
                payload: input.rest.bytes
            )
            let gre = try GRE.decode(&input, wireLength: input.remaining &+ bytesCutOff)
            if !gre.payloadLengthAgrees { lengthDisagrees = true }
            try decodeNetwork(gre.inner, &input, depth: depth &+ 1, at: time, visit)
        case 51:  // AH (RFC 4302): next header, payload length in 4-byte units minus 2
            trail.append(.ah)
            let next = try input.read(UInt8.self)
            let length = (Int(try input.read(UInt8.self)) &+ 2) &* 4
            try input.skip(length &- 2)
            try decodeIPPayload(next, source, destination, &input, depth, time, visit)
        case 50:
            trail.append(.esp)
            terminal = TerminalPayload(
                source: source,
                destination: destination,
                protocolNumber: 50,
                payload: input.rest.bytes
            )
            try checkESP(&input, source, destination)
        default:
            terminal = TerminalPayload(
                source: source,
                destination: destination,
                protocolNumber: protocolNumber,
                payload: input.rest.bytes
            )
        }
    }

    /// L2TPv2 on UDP 1701: data messages carry PPP, named whatever it holds (LCP, IPCP: as tshark),
    /// and followed when that is IP. A header that does not parse is left to the payload analysis,
    /// which knows the flow: another version is only malformed on a flow already confirmed as L2TP.
    mutating func decodeL2TP(
        _ input: inout ByteCursor,
        datagramLength: Int?,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) {
        guard let header = try? L2TPHeader(parsing: &input) else { return }
        trail.append(.l2tp)
        // RFC 2661 §3.1: the Length field is the whole message, which is the whole datagram.
        if let length = header.length, let datagramLength, length != datagramLength { lengthDisagrees = true }
        guard !header.isControl, let inner = try? PPP.decode(&input) else { return }
        trail.append(.ppp)
        // A broken inner packet must not discard the outer one already reported.
        try? decodeNetwork(inner, &input, depth: depth &+ 1, at: time, visit)
    }

    /// ESP's clear header (RFC 4303 §2.1): cut short or SPI 0 is malformed. A reserved SPI (1–255)
    /// is malformed between hosts whose ESP was keyed by IKE, which never picks one; hosts that
    /// only use reserved SPIs run manually keyed SAs (zeek's ip6_esp.pcap: SPIs 10–23, which
    /// Linux and tshark accept). Only the last IKE-keyed pair is kept: no state grows.
    mutating func checkESP(
        _ input: inout ByteCursor,
        _ source: IPAddress,
        _ destination: IPAddress
    ) throws(DecodeError) {
        let start = input.offset
        let esp = try ESPHeader(parsing: &input)
        let hosts = source < destination ? (source, destination) : (destination, source)
        guard esp.hasReservedSPI else {
            ikeKeyedESPHosts = hosts
            return
        }
        if let keyed = ikeKeyedESPHosts, keyed == hosts {
            throw .malformed(at: start, reason: "ESP SPI reserved")
        }
    }

    /// Files one IPv4 or IPv6 fragment; the frame that completes a datagram reports its transport header.
    mutating func decodeFragment(
        _ source: IPAddress,
        _ destination: IPAddress,
        id: UInt32,
        _ protocolNumber: UInt8,
        offset: Int,
        more: Bool,
        _ payload: ByteCursor,
        _ declaredLength: Int,
        _ depth: Int,
        _ time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        counters.ipFragments &+= 1
        let key = IPFragmentTracker.key(source, destination, id: id, protocolNumber: protocolNumber)
        guard
            let first = fragments.add(
                key,
                offset: offset,
                moreFragments: more,
                data: payload,
                wireDataLength: declaredLength,
                at: time
            )
        else { return }
        try decodeReassembled(first, protocolNumber, source, destination, depth, visit)
    }

    mutating func decodeReassembled(
        _ first: IPFragmentTracker.TransportHeaderBytes,
        _ protocolNumber: UInt8,
        _ source: IPAddress,
        _ destination: IPAddress,
        _ depth: Int,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        try first.withBytes { (bytes) throws(DecodeError) in
            var input = ByteCursor(bytes)
            switch protocolNumber {
            case 17:
                trail.append(.udp)
                let (udp, _) = try UDPHeader.decode(&input)
                counters.udp &+= 1
                visit(
                    TransportSegment(
                        transport: .udp,
                        source: Endpoint(address: source, port: udp.sourcePort),
                        destination: Endpoint(address: destination, port: udp.destinationPort),
                        payload: UnsafeRawBufferPointer(start: nil, count: 0),
                        tcp: nil,
                        tunnelDepth: depth,
                        reassembled: true,
                        layers: trail,
                        insideICMPError: insideICMPError
                    )
                )
            case 6:
                trail.append(.tcp)
                let (tcp, _) = try TCPHeader.decode(&input)
                counters.tcp &+= 1
                visit(
                    TransportSegment(
                        transport: .tcp,
                        source: Endpoint(address: source, port: tcp.sourcePort),
                        destination: Endpoint(address: destination, port: tcp.destinationPort),
                        payload: UnsafeRawBufferPointer(start: nil, count: 0),
                        tcp: tcp,
                        tunnelDepth: depth,
                        reassembled: true,
                        layers: trail,
                        insideICMPError: insideICMPError
                    )
                )
            default:
                break
            }
        }
    }
}

/// The innermost IP payload of a frame when it is not UDP or TCP: what `packets` shows for ESP,
/// GRE-carried PPP and other IP protocols. `payload` is valid only until the next `decode`.
/// Where a fragment sits in its datagram (IPv4 header fields, or IPv6's Fragment header).
struct IPFragmentPosition {
    var id: UInt32
    var offset: Int
    var more: Bool
}

public struct TerminalPayload {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var payload: UnsafeRawBufferPointer
}

/// ICMP error messages quote the IP packet that caused them (RFC 792, RFC 4443 §2.1).
enum ICMPQuote {
    /// Skips the 8-byte ICMP header of an error message and says which IP version is quoted.
    static func quotedNetwork(_ input: inout ByteCursor, v6: Bool) -> NetworkProtocol? {
        guard let type = try? input.peek(UInt8.self) else { return nil }
        // ICMPv4: unreachable 3, source quench 4, redirect 5, time exceeded 11, parameter problem 12.
        // ICMPv6: unreachable 1, packet too big 2, time exceeded 3, parameter problem 4.
        let isError =
            switch (v6, type) {
            case (true, 1...4), (false, 3...5), (false, 11), (false, 12): true
            default: false
            }
        guard isError, (try? input.skip(8)) != nil else { return nil }
        return try? NetworkProtocol.byVersionNibble(input)
    }
}

extension LinkLayer {
    /// The name `packets` shows for this link header (raw IP has none).
    public var protocolName: ProtocolName? {
        switch self {
        case .ethernet: .eth
        case .linuxCooked: .sll
        case .linuxCooked2: .sll2
        case .bsdNull: .null
        case .bsdLoop: .loop
        case .ppp, .pppSerial: .ppp
        case .rawIP, .ipv4, .ipv6: nil
        }
    }
}

extension FrameDecoder {
    /// Decodes a packet a tunnel carried inside a transport payload (IP-HTTPS's IPv6 packets in
    /// TLS records), after the frame that carried it: `layers` is the enclosing segment's trail
    /// with the tunnel's names, `depth` its tunnel depth plus one.
    public mutating func decode(
        tunnelled packet: UnsafeRawBufferPointer,
        _ network: NetworkProtocol,
        depth: Int,
        layers: LayerTrail,
        at time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) {
        trail = layers
        terminal = nil
        insideICMPError = false
        lengthDisagrees = false
        var input = ByteCursor(packet)
        do throws(DecodeError) {
            try decodeNetwork(network, &input, depth: depth, at: time, visit)
            if lengthDisagrees { counters.malformed &+= 1 }
        } catch {
            counters.malformed &+= 1
        }
    }
}
