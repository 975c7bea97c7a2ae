import Dissect
import Flows
import Wire

/// A flow that looks like a VPN's outer tunnel, with the seconds in which it carried call-like
/// traffic ("many small packets", the field study's signature of media inside).
public struct TunnelFlowRecord: Sendable {
    public var key: FlowKey
    public var kind: ProtocolName
    /// The frame and the reason the flow was taken for this tunnel.
    public var evidenceFrame: Int
    public var evidence: String
    public var firstTime: Timestamp
    public var lastTime: Timestamp
    public var packets = 0
    /// Who opened it (first packet's source): the VPN client; the other end is the server.
    public var client: Endpoint
    public var server: Endpoint
    public var serverName: String?
    /// The IP protocol of a tunnel between two hosts without ports (50 ESP, 47 GRE), whose key and
    /// endpoints hold port 0; nil on UDP and TCP.
    public var ipProtocol: UInt8? = nil
    /// The first client TCP payloads that start with a TLS application-data record: (frame, bytes).
    var clientRecords: [(frame: Int, size: Int)] = []
    /// The seconds (since the flow began) in which it carried call-like traffic. Only those are kept,
    /// so a long-lived TLS flow (any HTTPS session) costs memory for its calls, not its lifetime.
    public private(set) var callLikeSeconds: [SecondBucket] = []
    /// The second being counted.
    var current: SecondBucket?

    public struct SecondBucket: Sendable {
        public var second: Int
        public var fromClient = 0
        public var toClient = 0
        public var bytes = 0
        public var first: Timestamp
        public var last: Timestamp
    }

    /// A second "looks like a call" when both directions carry at least this many packets (audio is
    /// 50 packets/s each way at 20 ms, 25 at 40 ms) of at most `callPacketBytes` on average.
    /// Signalling bursts (presence, chat over TLS) stay below it.
    public static let callPacketsPerSecond = 15
    public static let callPacketBytes = 500
    /// At most a day of call-like seconds per flow.
    static let maximumSeconds = 86_400

    public static func isCallLike(_ bucket: SecondBucket) -> Bool {
        let packets = bucket.fromClient + bucket.toClient
        return bucket.fromClient >= callPacketsPerSecond && bucket.toClient >= callPacketsPerSecond
            && packets > 0 && bucket.bytes / packets <= callPacketBytes
    }

    /// Every call-like second so far, the one in progress included.
    public var callLikeHistory: [SecondBucket] {
        guard let current, Self.isCallLike(current) else { return callLikeSeconds }
        return callLikeSeconds + [current]
    }

    mutating func count(fromClient: Bool, wireLength: Int, at time: Timestamp) {
        packets &+= 1
        if time > lastTime { lastTime = time }
        var second = Int((time.nanoseconds &- firstTime.nanoseconds) / 1_000_000_000)
        if let current, second < current.second { second = current.second }  // late packets join the open second
        if current?.second != second {
            if let finished = current, Self.isCallLike(finished), callLikeSeconds.count < Self.maximumSeconds {
                callLikeSeconds.append(finished)
            }
            current = SecondBucket(second: second, first: time, last: time)
        }
        guard var bucket = current else { return }
        if fromClient { bucket.fromClient &+= 1 } else { bucket.toClient &+= 1 }
        bucket.bytes &+= wireLength
        if time > bucket.last { bucket.last = time }
        current = bucket
    }

    /// SSTP's setup seen through encryption (MS-SSTP §3.2.4.1, protocols.md §9.3): the client's first
    /// application records are the `SSTP_DUPLEX_POST` HTTP request (150–400 bytes of plaintext) and
    /// then the 14-byte CALL_CONNECT_REQUEST. The plaintext size is the record length less the AEAD
    /// overhead: 17 (TLS 1.3), 24 (TLS 1.2 GCM with explicit nonce) or 16 (TLS 1.2 ChaCha20).
    func sstpSetup() -> (Int, Int)? {
        let overheads = [17, 24, 16]
        for i in clientRecords.indices.dropLast() {
            let request = clientRecords[i].size - 5, next = clientRecords[i + 1].size - 5
            for overhead in overheads where (150...400).contains(request - overhead) && next - overhead == 14 {
                return (clientRecords[i].frame, clientRecords[i + 1].frame)
            }
        }
        return nil
    }
}
