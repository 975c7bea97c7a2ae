import Wire

/// What callpath knows about the network beyond the capture: address classes, and optionally the
/// VPN servers, company networks and relay ranges an admin names. Microsoft's published Teams media
/// ranges are built in so a Teams capture is judged without configuration.
public struct NetworkContext: Sendable {
    public var vpnServers: [IPAddress] = []
    public var corporateNetworks: [Prefix] = []
    public var relayNetworks: [Prefix] = []
    /// Microsoft 365 "Optimize" ranges for Teams media (endpoint set 11, UDP 3478–3481).
    /// Source: learn.microsoft.com "Microsoft 365 URLs and IP address ranges", as of 2024–2026.
    public var teamsMediaNetworks: [Prefix] = NetworkContext.microsoftTeamsOptimize
    public static let teamsMediaPorts: ClosedRange<UInt16> = 3478...3481

    public static let microsoftTeamsOptimize: [Prefix] = [
        "52.112.0.0/14", "52.122.0.0/15", "13.107.64.0/18", "2603:1063::/38",
    ].compactMap { Prefix($0) }

    public init() {}

    /// RFC 1918, RFC 6598 (carrier-grade NAT), link-local, RFC 4193 unique local, IPv6 link-local.
    public static let privateNetworks: [Prefix] = [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10",
    ].compactMap { Prefix($0) }

    public func isPrivate(_ address: IPAddress) -> Bool {
        Self.privateNetworks.contains { $0.contains(address) }
    }

    /// Both ends in one private /24 (IPv4) or /64 (IPv6): one LAN, host candidates reach each other.
    public func sameLAN(_ a: IPAddress, _ b: IPAddress) -> Bool {
        guard isPrivate(a), isPrivate(b), a.isIPv6 == b.isIPv6 else { return false }
        return a.isIPv6 ? a.high == b.high : a.low >> 8 == b.low >> 8
    }

    public func isRelayRange(_ endpoint: Endpoint) -> Bool {
        relayNetworks.contains { $0.contains(endpoint.address) }
            || (Self.teamsMediaPorts.contains(endpoint.port)
                && teamsMediaNetworks.contains { $0.contains(endpoint.address) })
    }

    /// Any port: Teams relays also listen on TCP/TLS 443 when UDP is blocked.
    public func isRelayNetwork(_ address: IPAddress) -> Bool {
        relayNetworks.contains { $0.contains(address) } || teamsMediaNetworks.contains { $0.contains(address) }
    }

    public func isCorporate(_ address: IPAddress) -> Bool {
        corporateNetworks.contains { $0.contains(address) }
    }
}

/// An address prefix, `192.0.2.0/24` or `2001:db8::/32`.
public struct Prefix: Sendable, Equatable, CustomStringConvertible {
    public let network: IPAddress
    public let length: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.isIPv6 ? 128 : 32
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, (0...maximum).contains(length) else { return nil }
        self.network = address
        self.length = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.isIPv6 == network.isIPv6 else { return false }
        if !address.isIPv6 {
            let mask: UInt64 = length == 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - length)) & 0xFFFF_FFFF
            return address.low & mask == network.low & mask
        }
        let highMask: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : .max << UInt64(64 - length))
        let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? .max : .max << UInt64(128 - length))
        return address.high & highMask == network.high & highMask && address.low & lowMask == network.low & lowMask
    }

    public var description: String { "\(network)/\(length)" }
}
