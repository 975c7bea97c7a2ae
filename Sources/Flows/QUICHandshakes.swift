import Dissect
import Wire

/// The QUIC handshakes seen on UDP flows, for opening their Initial packets (RFC 9001 §5.2): per
/// flow, the client's end, the Destination Connection ID its Initial keys came from — the server's
/// come from the same one, though the server's packets carry other IDs — and each direction's
/// CRYPTO stream. Bounded: past `capacity` flows the oldest is forgotten.
struct QUICHandshakes {
    static let capacity = 256

    struct Connection {
        var client: Endpoint
        var destinationID: [UInt8]
        var fromClient = QUICCryptoStream()
        var fromServer = QUICCryptoStream()
    }

    /// What an opened Initial packet's CRYPTO frames did.
    struct Delivery {
        /// They delivered stream bytes, which tshark hands to TLS: the packet counts as `tls`.
        var delivered = false
        /// The first handshake message of its direction, when this packet completed it.
        var message: ArraySlice<UInt8>?
    }

    private var connections: [FlowKey: Connection] = [:]
    /// Flows in the order their connections began, a ring once full: the next to forget is at `oldest`.
    private var arrivals: [FlowKey] = []
    private var oldest = 0
    private var opener = QUICInitialOpener()

    /// Opens the Initial packet `header` describes, sent by `source` on flow `key`, and feeds its
    /// CRYPTO frames to the sender's stream; nil when it does not open.
    mutating func receive(
        _ datagram: UnsafeRawBufferPointer,
        _ header: QUICLongHeader,
        from source: Endpoint,
        key: FlowKey
    ) -> Delivery? {
        guard let fromClient = open(datagram, header, from: source, key: key) else { return nil }
        let stream: WritableKeyPath<Connection, QUICCryptoStream> = fromClient ? \.fromClient : \.fromServer
        var delivery = Delivery()
        opener.plaintext.withUnsafeBytes { frames in
            // A frame that does not parse ends the walk; the CRYPTO frames before it still count, as in tshark.
            try? QUICFrames.forEachCrypto(frames) { offset, data in
                if connections[key]?[keyPath: stream].add(offset: offset, data) == true { delivery.delivered = true }
            }
        }
        delivery.message = connections[key]?[keyPath: stream].takeFirstMessage()
        return delivery
    }

    /// Opens the packet, with its connection's keys when the flow has one, else with client keys
    /// from its own Destination Connection ID, which begins a connection; whether the client sent
    /// it, nil when it does not open.
    private mutating func open(
        _ datagram: UnsafeRawBufferPointer,
        _ header: QUICLongHeader,
        from source: Endpoint,
        key: FlowKey
    ) -> Bool? {
        guard let ownID = PayloadAnalyzer.slice(datagram, header.destinationID) else { return nil }
        if let known = connections[key] {
            let fromClient = source == known.client
            let keys = known.destinationID.withUnsafeBytes {
                QUICInitialKeys(version: header.version, destinationID: $0, sender: fromClient ? .client : .server)
            }
            if opener.open(datagram, header, keys: keys) { return fromClient }
            // A client's Initial that these keys do not open begins a new connection on the flow.
            guard fromClient else { return nil }
        }
        let keys = QUICInitialKeys(version: header.version, destinationID: ownID, sender: .client)
        guard opener.open(datagram, header, keys: keys) else { return nil }
        remember(key, Connection(client: source, destinationID: Array(ownID)))
        return true
    }

    private mutating func remember(_ key: FlowKey, _ connection: Connection) {
        if connections[key] != nil {
            connections[key] = connection
            return
        }
        if arrivals.count < Self.capacity {
            arrivals.append(key)
        } else {
            connections[arrivals[oldest]] = nil
            arrivals[oldest] = key
            oldest = (oldest &+ 1) % Self.capacity
        }
        connections[key] = connection
    }
}
