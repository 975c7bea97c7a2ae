import Flows
import Wire

/// A TURN allocation as the capture shows it (RFC 8656 §7): the client's 5-tuple to the server,
/// what the server granted, and the peers the client opened to.
public struct TURNAllocationRecord: Sendable {
    public var key: FlowKey
    public var client: Endpoint
    public var server: Endpoint
    public var requestFrame: Int
    public var successFrame: Int?
    /// XOR-RELAYED-ADDRESS: the relayed transport address on the server.
    public var relayed: Endpoint?
    /// XOR-MAPPED-ADDRESS in the Allocate success: the client as the server saw it.
    public var mapped: Endpoint?
    public var lifetime: UInt32?
    /// Peers from CreatePermission, ChannelBind, Send and Data indications.
    public var peers = SmallSet<Endpoint>()
    public var channels = SmallSet<UInt16>()
    public var errorCodes = SmallSet<UInt16>()
    /// Microsoft MS-TURN dialect seen on this allocation.
    public var microsoft = false
    /// MS-TURN's multiplexed TURN session id (MS-MULTIPLEXED-TURN-SESSION-ID), Teams' way to carry many
    /// media streams on one allocation.
    public var multiplexedSession: UInt64?
}
