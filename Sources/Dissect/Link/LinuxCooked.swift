import Wire

/// Linux "cooked" capture v1 (DLT_LINUX_SLL, 16 bytes), what `tcpdump -i any` wrote before libpcap 1.10.
///
///     | packet type 2 | ARPHRD 2 | addr len 2 | address 8 | protocol 2 |
public enum LinuxCooked {
    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        try input.skip(14)  // packet type, ARPHRD, address length, address
        let protocolType = try input.read(UInt16.self)
        return NetworkProtocol(etherType: protocolType)
    }
}

/// Linux cooked capture v2 (DLT_LINUX_SLL2, 20 bytes): the `any` device since libpcap 1.10.
/// It records the interface index, which separates a VPN's tunnel view from the physical one.
///
///     | protocol 2 | reserved 2 | ifindex 4 | ARPHRD 2 | pkt type 1 | addr len 1 | address 8 |
public enum LinuxCooked2 {
    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        let protocolType = try input.read(UInt16.self)
        try input.skip(18)  // reserved, ifindex, ARPHRD, packet type, address length, address
        return NetworkProtocol(etherType: protocolType)
    }
}
