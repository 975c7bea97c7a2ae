import Wire

/// The link-layer header types callpath decodes, by the DLT value `pcap_datalink` returns.
/// (tcpdump.org linktypes; libpcap maps the LINKTYPE_ numbers in files onto these.)
public enum LinkLayer: Sendable {
    case ethernet, linuxCooked, linuxCooked2, rawIP, ipv4, ipv6, bsdNull, bsdLoop, ppp, pppSerial

    public init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet  // DLT_EN10MB
        case 113: self = .linuxCooked  // DLT_LINUX_SLL
        case 276: self = .linuxCooked2  // DLT_LINUX_SLL2
        case 12, 14, 101: self = .rawIP  // DLT_RAW (12 on most systems, 14 on OpenBSD; LINKTYPE_RAW 101)
        case 228: self = .ipv4  // DLT_IPV4
        case 229: self = .ipv6  // DLT_IPV6
        case 0: self = .bsdNull  // DLT_NULL: family in the capturing host's byte order
        case 108: self = .bsdLoop  // DLT_LOOP: family in network byte order
        case 9: self = .ppp  // DLT_PPP
        case 50: self = .pppSerial  // DLT_PPP_SERIAL (HDLC-framed PPP)
        default: return nil
        }
    }

    public static let supportedNames = "Ethernet, Linux cooked (SLL, SLL2), raw IP, BSD loopback and PPP"

    /// Strips the link header and says what follows.
    @inline(always)
    public func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        switch self {
        case .ethernet: return try Ethernet.decode(&input)
        case .linuxCooked: return try LinuxCooked.decode(&input)
        case .linuxCooked2: return try LinuxCooked2.decode(&input)
        case .rawIP: return try NetworkProtocol.byVersionNibble(input)
        case .ipv4: return .ipv4
        case .ipv6: return .ipv6
        case .bsdNull: return try BSDLoopback.decode(&input, networkOrder: false)
        case .bsdLoop: return try BSDLoopback.decode(&input, networkOrder: true)
        case .ppp, .pppSerial: return try PPP.decode(&input)
        }
    }
}

/// What a link or tunnel header says comes next.
public enum NetworkProtocol: Sendable, Equatable {
    case ipv4, ipv6, ethernet, ppp, other

    /// EtherType registry values (IEEE; also used by GRE and Linux cooked headers).
    public init(etherType: UInt16) {
        switch etherType {
        case 0x0800: self = .ipv4
        case 0x86DD: self = .ipv6
        case 0x6558: self = .ethernet  // transparent Ethernet bridging (GRE/NVGRE)
        case 0x880B: self = .ppp  // PPP (enhanced GRE, PPTP)
        default: self = .other
        }
    }

    /// Raw IP: the version nibble of the first byte decides.
    public static func byVersionNibble(_ input: ByteCursor) throws(DecodeError) -> NetworkProtocol {
        switch try input.peek(UInt8.self) >> 4 {
        case 4: return .ipv4
        case 6: return .ipv6
        default: return .other
        }
    }
}
