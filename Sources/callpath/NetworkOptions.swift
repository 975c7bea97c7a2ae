import ArgumentParser
import Judge
import Wire

/// The network context an admin can name, shared by `analyze` and `live`.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("vpn-server"), help: "Address of the company VPN server (repeatable).")
    var vpnServers: [String] = []

    @Option(name: .customLong("corp-net"), help: "Company network as CIDR, e.g. 10.20.0.0/16 (repeatable).")
    var corporateNetworks: [String] = []

    @Option(name: .customLong("relay"), help: "TURN relay network as CIDR (repeatable); Microsoft Teams ranges are built in.")
    var relayNetworks: [String] = []

    func validate() throws {
        for server in vpnServers where IPAddress(server) == nil {
            throw ValidationError("--vpn-server \(server): not an IP address (give the server's IPv4 or IPv6 address)")
        }
        for network in corporateNetworks + relayNetworks where Prefix(network) == nil {
            throw ValidationError("\(network): not a CIDR prefix (write it like 10.20.0.0/16 or 2001:db8::/32)")
        }
    }

    var context: NetworkContext {
        var context = NetworkContext()
        context.vpnServers = vpnServers.compactMap { IPAddress($0) }
        context.corporateNetworks = corporateNetworks.compactMap { Prefix($0) }
        context.relayNetworks = relayNetworks.compactMap { Prefix($0) }
        return context
    }
}
