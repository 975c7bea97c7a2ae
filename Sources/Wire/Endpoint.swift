/// An IP address with a transport port: one side of a conversation.
public struct Endpoint: Hashable, Sendable, Comparable {
    public let address: IPAddress
    public let port: UInt16

    @inlinable public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public static func < (a: Endpoint, b: Endpoint) -> Bool {
        a.address != b.address ? a.address < b.address : a.port < b.port
    }
}

extension Endpoint: CustomStringConvertible {
    /// `192.0.2.1:3478`, or `[2001:db8::1]:443` for IPv6.
    public var description: String {
        address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// The transport protocol of a conversation.
public enum Transport: String, Sendable, Hashable, Codable, CaseIterable {
    case udp, tcp
}
