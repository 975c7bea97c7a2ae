import ArgumentParser
import Foundation
import Judge
import Wire

/// The network context an admin can name, shared by `analyze` and `live`.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("vpn-server"), help: "Address of the company VPN server (repeatable).")
    var vpnServers: [String] = []

    @Option(name: .customLong("corp-net"), help: "Company network as CIDR, e.g. 10.20.0.0/16 (repeatable).")
    var corporateNetworks: [String] = []

    @Option(
        name: .customLong("relay"),
        help: "TURN relay network as CIDR (repeatable); Microsoft Teams ranges are built in."
    )
    var relayNetworks: [String] = []

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "Network file: lines `vpn-server IP`, `corp-net CIDR`, `relay CIDR`, `teams-range CIDR` (replaces the built-in Microsoft ranges) or `teams-ranges none`; # comments.",
            valueName: "file"
        )
    )
    var configFile: String?

    func validate() throws {
        if let configFile { _ = try NetworkFile(path: configFile) }
        for server in vpnServers where IPAddress(server) == nil {
            throw ValidationError("--vpn-server \(server): not an IP address (give the server's IPv4 or IPv6 address)")
        }
        for network in corporateNetworks + relayNetworks where Prefix(network) == nil {
            throw ValidationError("\(network): not a CIDR prefix (write it like 10.20.0.0/16 or 2001:db8::/32)")
        }
    }

    var context: NetworkContext {
        var context = NetworkContext()
        if let configFile, let file = try? NetworkFile(path: configFile) { file.apply(to: &context) }
        context.vpnServers += vpnServers.compactMap { IPAddress($0) }
        context.corporateNetworks += corporateNetworks.compactMap { Prefix($0) }
        context.relayNetworks += relayNetworks.compactMap { Prefix($0) }
        return context
    }
}

/// The optional network file: what an admin knows about the network, one fact per line.
struct NetworkFile {
    var vpnServers: [IPAddress] = []
    var corporateNetworks: [Prefix] = []
    var relayNetworks: [Prefix] = []
    var teamsRanges: [Prefix]? = nil

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--config \(path): cannot read it; check the path and its permissions")
        }
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" }).map(String.init)
            guard let key = words.first else { continue }
            let where_ = "\(path):\(number + 1)"
            guard words.count == 2 else { throw ValidationError("\(where_): write `\(key) VALUE`, one value per line") }
            let value = words[1]
            switch key {
            case "vpn-server":
                guard let address = IPAddress(value) else {
                    throw ValidationError("\(where_): \(value) is not an IP address")
                }
                vpnServers.append(address)
            case "corp-net", "relay", "teams-range":
                if key == "teams-range" && value == "none" { teamsRanges = []; continue }
                guard let prefix = Prefix(value) else {
                    throw ValidationError("\(where_): \(value) is not a CIDR prefix like 10.20.0.0/16")
                }
                if key == "corp-net" {
                    corporateNetworks.append(prefix)
                } else if key == "relay" {
                    relayNetworks.append(prefix)
                } else {
                    teamsRanges = (teamsRanges ?? []) + [prefix]
                }
            case "teams-ranges" where value == "none":
                teamsRanges = []
            default:
                throw ValidationError(
                    "\(where_): unknown setting \(key); use vpn-server, corp-net, relay, teams-range or teams-ranges none"
                )
            }
        }
    }

    func apply(to context: inout NetworkContext) {
        context.vpnServers += vpnServers
        context.corporateNetworks += corporateNetworks
        context.relayNetworks += relayNetworks
        if let teamsRanges { context.teamsMediaNetworks = teamsRanges }
    }
}
