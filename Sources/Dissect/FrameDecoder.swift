import Wire

/// Walks one frame from its link header down to every UDP and TCP header in it, following the
/// tunnels Wireshark follows by default (IP-in-IP, GRE, Teredo, L2TP, GTP-U, VXLAN) so the
/// parser never silently stops at a tunnel. ICMP error quotes are counted, not treated as traffic.
public struct FrameDecoder {
    public let link: LinkLayer
    public private(set) var counters = DecodeCounters()
    var fragments = IPFragmentTracker()

    /// Tunnels nested deeper than this are counted as malformed rather than followed.
    public static let maximumTunnelDepth = 6

    public init(link: LinkLayer) { self.link = link }

    /// Decodes `frame`, calling `visit` once per transport header found, outermost first.
    public mutating func decode(
        _ frame: UnsafeRawBufferPointer, at time: Timestamp, _ visit: (TransportSegment) -> Void
    ) {
        counters.frames &+= 1
        var input = ByteCursor(frame)
        do throws(DecodeError) {
            let network = try link.decode(&input)
            try decodeNetwork(network, &input, depth: 0, at: time, visit)
        } catch {
            counters.malformed &+= 1
        }
    }

    mutating func decodeNetwork(
        _ network: NetworkProtocol, _ input: inout ByteCursor, depth: Int, at time: Timestamp,
        _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        guard depth <= Self.maximumTunnelDepth else { throw .malformed(at: input.offset, reason: "tunnel depth") }
        switch network {
        case .ipv4:
            let (header, payload) = try IPv4Header.decode(&input)
            if depth == 0 { counters.ipv4 &+= 1 }
            if header.isFragment {
                counters.ipFragments &+= 1
                let key = IPFragmentTracker.key(
                    header.source, header.destination, id: UInt32(header.identification),
                    protocolNumber: header.protocolNumber)
                guard
                    let first = fragments.add(
                        key, offset: header.fragmentOffset, moreFragments: header.moreFragments, data: payload,
                        wireDataLength: header.payloadLength, at: time)
                else { return }
                try decodeReassembled(first, header.protocolNumber, header.source, header.destination, depth, visit)
                return
            }
            var rest = payload
            try decodeIPPayload(header.protocolNumber, header.source, header.destination, &rest, depth, time, visit)
        case .ipv6:
            let (header, payload) = try IPv6Header.decode(&input)
            if depth == 0 { counters.ipv6 &+= 1 }
            if let fragment = header.fragment, fragment.offset != 0 || fragment.moreFragments {
                counters.ipFragments &+= 1
                let key = IPFragmentTracker.key(
                    header.source, header.destination, id: fragment.identification,
                    protocolNumber: header.protocolNumber)
                guard
                    let first = fragments.add(
                        key, offset: fragment.offset, moreFragments: fragment.moreFragments, data: payload,
                        wireDataLength: header.payloadLength, at: time)
                else { return }
                try decodeReassembled(first, header.protocolNumber, header.source, header.destination, depth, visit)
                return
            }
            var rest = payload
            try decodeIPPayload(header.protocolNumber, header.source, header.destination, &rest, depth, time, visit)
        case .ethernet:
            let inner = try Ethernet.decode(&input)
            try decodeNetwork(inner, &input, depth: depth, at: time, visit)
        case .ppp:
            let inner = try PPP.decode(&input)
            try decodeNetwork(inner, &input, depth: depth, at: time, visit)
        case .other:
            if depth == 0 { counters.nonIP &+= 1 }
        }
    }

    mutating func decodeIPPayload(
        _ protocolNumber: UInt8, _ source: IPAddress, _ destination: IPAddress, _ input: inout ByteCursor,
        _ depth: Int, _ time: Timestamp, _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        switch protocolNumber {
        case 17:
            let (udp, payload) = try UDPHeader.decode(&input)
            counters.udp &+= 1
            if depth > 0 { counters.tunnelled &+= 1 }
            visit(
                TransportSegment(
                    transport: .udp, source: Endpoint(address: source, port: udp.sourcePort),
                    destination: Endpoint(address: destination, port: udp.destinationPort), payload: payload.rest.bytes,
                    tcp: nil, tunnelDepth: depth, reassembled: false))
            var inner = payload
            let tunnelled: NetworkProtocol? =
                switch (udp.sourcePort, udp.destinationPort) {
                case (Teredo.port, _), (_, Teredo.port): try? Teredo.decode(&inner)
                case (L2TP.port, _), (_, L2TP.port): try? L2TP.decode(&inner)
                case (GTPU.port, _), (_, GTPU.port): try? GTPU.decode(&inner)
                case (VXLAN.port, _), (_, VXLAN.port): try? VXLAN.decode(&inner)
                default: nil
                }
            if let tunnelled, tunnelled != .other {
                // A broken inner packet must not discard the outer one already reported.
                try? decodeNetwork(tunnelled, &inner, depth: depth &+ 1, at: time, visit)
            }
        case 6:
            let (tcp, payload) = try TCPHeader.decode(&input)
            counters.tcp &+= 1
            if depth > 0 { counters.tunnelled &+= 1 }
            visit(
                TransportSegment(
                    transport: .tcp, source: Endpoint(address: source, port: tcp.sourcePort),
                    destination: Endpoint(address: destination, port: tcp.destinationPort), payload: payload.bytes,
                    tcp: tcp, tunnelDepth: depth, reassembled: false))
        case 1, 58:  // ICMP, ICMPv6: errors quote a packet, which is not traffic of its own
            counters.icmp &+= 1
        case 4:  // IPv4 in IP
            try decodeNetwork(.ipv4, &input, depth: depth &+ 1, at: time, visit)
        case 41:  // IPv6 in IP (6in4, 6to4, ISATAP)
            try decodeNetwork(.ipv6, &input, depth: depth &+ 1, at: time, visit)
        case 47:
            let inner = try GRE.decode(&input)
            try decodeNetwork(inner, &input, depth: depth &+ 1, at: time, visit)
        case 51:  // AH (RFC 4302): next header, payload length in 4-byte units minus 2
            let next = try input.read(UInt8.self)
            let length = (Int(try input.read(UInt8.self)) &+ 2) &* 4
            try input.skip(length &- 2)
            try decodeIPPayload(next, source, destination, &input, depth, time, visit)
        default:
            break  // ESP and everything else: nothing more to see
        }
    }

    mutating func decodeReassembled(
        _ first: IPFragmentTracker.TransportHeaderBytes, _ protocolNumber: UInt8, _ source: IPAddress,
        _ destination: IPAddress, _ depth: Int, _ visit: (TransportSegment) -> Void
    ) throws(DecodeError) {
        try first.withBytes { (bytes) throws(DecodeError) in
            var input = ByteCursor(bytes)
            switch protocolNumber {
            case 17:
                let (udp, _) = try UDPHeader.decode(&input)
                counters.udp &+= 1
                visit(
                    TransportSegment(
                        transport: .udp, source: Endpoint(address: source, port: udp.sourcePort),
                        destination: Endpoint(address: destination, port: udp.destinationPort),
                        payload: UnsafeRawBufferPointer(start: nil, count: 0), tcp: nil, tunnelDepth: depth,
                        reassembled: true))
            case 6:
                let (tcp, _) = try TCPHeader.decode(&input)
                counters.tcp &+= 1
                visit(
                    TransportSegment(
                        transport: .tcp, source: Endpoint(address: source, port: tcp.sourcePort),
                        destination: Endpoint(address: destination, port: tcp.destinationPort),
                        payload: UnsafeRawBufferPointer(start: nil, count: 0), tcp: tcp, tunnelDepth: depth,
                        reassembled: true))
            default:
                break
            }
        }
    }
}
