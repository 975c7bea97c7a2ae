import CPcap

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The capture devices libpcap knows (pcap_findalldevs), with their addresses and flags.
public enum CaptureDevices {
    public struct Device: Sendable {
        public var name: String
        public var description: String?
        public var addresses: [String]
        public var isUp: Bool
        public var isRunning: Bool
        public var isLoopback: Bool
        public var isWireless: Bool
    }

    public static func list() -> [Device] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var first: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&first, &errorBuffer) == 0 else { return [] }
        defer { pcap_freealldevs(first) }
        var devices: [Device] = []
        var current = first
        while let entry = current?.pointee {
            var addresses: [String] = []
            var address = entry.addresses
            while let a = address?.pointee {
                if let text = numeric(a.addr) { addresses.append(text) }
                address = a.next
            }
            let flags = entry.flags
            devices.append(
                Device(
                    name: String(cString: entry.name),
                    description: entry.description.map { String(cString: $0) },
                    addresses: addresses,
                    isUp: flags & UInt32(PCAP_IF_UP) != 0,
                    isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                    isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0,
                    isWireless: flags & UInt32(PCAP_IF_WIRELESS) != 0
                )
            )
            current = entry.next
        }
        return devices
    }

    /// The first device that is up, running and not a loopback: tcpdump's default choice.
    public static func defaultDevice() -> String? {
        let devices = list()
        return (devices.first { $0.isUp && $0.isRunning && !$0.isLoopback && $0.name != "any" } ?? devices.first)?.name
    }

    static func numeric(_ socketAddress: UnsafeMutablePointer<sockaddr>?) -> String? {
        guard let socketAddress else { return nil }
        let family = Int32(socketAddress.pointee.sa_family)
        guard family == AF_INET || family == AF_INET6 else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
        guard getnameinfo(socketAddress, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
