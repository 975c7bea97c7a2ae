import Wire

/// Which way the media went, in callpath's vocabulary (CLI and JSON).
public enum MediaPath: String, Sendable, Codable, CaseIterable {
    /// Host to host: same LAN or routed, no address translation seen.
    case direct
    /// Inside a VPN tunnel.
    case vpn
    /// Straight to the peer's (or from our) NAT-mapped public address, learnt by STUN.
    case srflx
    /// Through a TURN relay.
    case relay
    case unknown
}

/// One stretch of a call on one path, with the packets that prove it.
public struct PathSegment: Sendable {
    public var start: Timestamp
    public var end: Timestamp
    public var path: MediaPath
    /// `sstp`, `iphttps`, `openvpn`, `wireguard`, `ipsec`, `l2tp`, `gre`, `pptp`, `ppp` (a capture on
    /// the tunnel interface), `tls` (a TLS tunnel of unknown make); nil unless `path == .vpn`.
    public var tunnel: String?
    /// The VPN server (outer view) or the TURN relay.
    public var server: Endpoint?
    public var relay: Endpoint?
    /// The relay's transport to the client: `udp`, `tcp`, `tls`.
    public var relayTransport: String?
    public var local: Endpoint
    public var remote: Endpoint
    public var transport: Transport
    public var packets: Int
    public var confidence: Double
    public var evidence: [String]
    /// The first frame that carried media on this segment.
    public var firstFrame: Int
    /// The IP protocol of a flow without ports (50 ESP, 47 GRE: a VPN's outer flow between two hosts,
    /// whose endpoints hold port 0); nil on UDP and TCP.
    public var ipProtocol: UInt8? = nil

    /// `udp`, `tcp`, or on a flow without ports its IP protocol: `esp`, `gre`.
    public var transportName: String { ipProtocol.map(Self.portlessTransportName) ?? transport.rawValue }

    /// One of the segment's endpoints as reports print it: `host:port`, or the host alone on a flow
    /// without ports.
    public func endpointText(_ endpoint: Endpoint) -> String { endpoint.text(ipProtocol: ipProtocol) }

    static func portlessTransportName(_ ipProtocol: UInt8) -> String {
        switch ipProtocol {
        case 50: "esp"
        case 47: "gre"
        default: "ip-proto-\(ipProtocol)"
        }
    }
}

/// A call: media flows that belong together (one ICE session, one SIP dialog, or one tunnel run).
public struct CallVerdict: Sendable {
    public var id: Int
    public var start: Timestamp
    public var end: Timestamp
    public var local: Endpoint
    public var remote: Endpoint
    public var segments: [PathSegment]
    public var streams: [StreamSummary]
    /// One line per hop, as the field study drew it: `PC → VPN (SSTP, 203.0.113.5) → peer`.
    public var chain: String
    /// Notes that are not evidence of the path (e.g. a split-tunnel bypass).
    public var notes: [String]
    /// The ICE candidates the capture revealed for this call, and the pairs nominated.
    public var candidates: [CandidateSummary] = []
    public var nominations: [Nomination] = []
    /// The TURN allocations the call's side made, with their lifecycle.
    public var relays: [RelaySummary] = []
    /// The IP protocol of the flow `local` and `remote` come from when it has no ports (see
    /// `PathSegment.ipProtocol`).
    public var ipProtocol: UInt8? = nil

    /// `local` or `remote` as reports print it: `host:port`, or the host alone on a flow without ports.
    public func endpointText(_ endpoint: Endpoint) -> String { endpoint.text(ipProtocol: ipProtocol) }
}

extension Endpoint {
    /// The endpoint on a flow of `ipProtocol`: the host alone when the protocol has no ports (its port
    /// 0 is a placeholder), else `host:port`, since UDP's port 0 is a real one that tshark prints too.
    func text(ipProtocol: UInt8?) -> String { ipProtocol == nil ? description : "\(address)" }
}

/// One TURN allocation's lifecycle as the capture shows it (RFC 8656 §7–§12): Allocate (and any
/// error such as 401 before the authenticated retry), permissions and channels, then data.
public struct RelaySummary: Sendable, Equatable {
    public var server: Endpoint
    public var client: Endpoint
    /// `udp`, `tcp` or `tls` between client and server.
    public var transport: String
    public var relayed: Endpoint?
    public var mapped: Endpoint?
    public var requestFrame: Int
    public var successFrame: Int?
    public var lifetime: UInt32?
    public var errorCodes: [UInt16]
    public var peers: [Endpoint]
    public var channels: [UInt16]
    public var microsoft: Bool
    public var multiplexedSession: UInt64?
    public var carriedMedia: Bool
}

/// A candidate as the capture shows it (protocols.md §13.3).
public struct CandidateSummary: Sendable, Equatable {
    /// `host`, `srflx`, `prflx`, `relay`, or `peer` for a remote address of unknown type.
    public var type: String
    public var address: Endpoint
    /// `local` (the capture's side) or `remote`.
    public var side: String
    /// How it was learnt, e.g. "XOR-RELAYED-ADDRESS in Allocate success".
    public var source: String
    public var frame: Int
}

/// A pair the controlling agent nominated (USE-CANDIDATE, RFC 8445 §8.1.1).
public struct Nomination: Sendable, Equatable {
    public var local: Endpoint
    public var remote: Endpoint
    public var frame: Int
    public var carriedMedia: Bool
}

public struct StreamSummary: Sendable {
    public var ssrc: UInt32
    public var payloadType: UInt8?
    public var packets: Int
    /// Packets missing from the sequence numbers (RFC 3550 A.3), when the stream's RTP was readable.
    public var lost: Int? = nil
    /// `sent` (from the capture's side) or `received`, when known.
    public var direction: String? = nil

    public init(ssrc: UInt32, payloadType: UInt8?, packets: Int, lost: Int? = nil, direction: String? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.packets = packets
        self.lost = lost
        self.direction = direction
    }
}
