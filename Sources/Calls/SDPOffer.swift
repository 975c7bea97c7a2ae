import Dissect
import Flows
import Wire

/// What one SIP message's SDP offered (RFC 8866, RFC 8839): the default media address (`c=` with
/// each `m=` port) and every ICE candidate, as an SBC would see them in an INVITE or its answer.
public struct SDPOffer: Sendable {
    public var callID: String
    public var frame: Int
    /// The host that sent the SIP message.
    public var sender: IPAddress
    /// `INVITE`, `200`, …
    public var message: String
    public var mediaAddresses: [Endpoint]
    public var candidates: [OfferedCandidate]
    public var iceUfrag: String?

    public struct OfferedCandidate: Sendable, Equatable {
        public var type: String
        public var address: Endpoint
        public var transport: String
        public var related: Endpoint?
    }

    /// All transport addresses the offer names.
    public var offeredEndpoints: [Endpoint] { mediaAddresses + candidates.map(\.address) }

    /// Parses the SDP text. Runs once per SIP message with a body (rare), so plain Strings are fine here.
    init?(sdp: String, callID: String, frame: Int, sender: IPAddress, message: String) {
        self.callID = callID
        self.frame = frame
        self.sender = sender
        self.message = message
        mediaAddresses = []
        candidates = []
        var connection: IPAddress? = nil
        var mediaConnection: IPAddress? = nil
        var ports: [UInt16] = []
        func flushMedia() {
            if let address = mediaConnection ?? connection {
                mediaAddresses += ports.map { Endpoint(address: address, port: $0) }
            }
            ports = []
            mediaConnection = nil
        }
        var inMedia = false
        for raw in sdp.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: " ")
            if line.hasPrefix("c=IN IP") {
                let address = line.split(separator: " ").last.flatMap { IPAddress($0) }
                if inMedia { mediaConnection = address } else { connection = address }
            } else if line.hasPrefix("m=") {
                if inMedia { flushMedia() }
                inMedia = true
                let fields = line.split(separator: " ")
                if fields.count > 1, let port = UInt16(fields[1]), port != 0 { ports.append(port) }
            } else if line.hasPrefix("a=candidate:") {
                let fields = line.dropFirst(12).split(separator: " ").map(String.init)
                guard fields.count >= 8, let address = IPAddress(fields[4]), let port = UInt16(fields[5]) else {
                    continue
                }
                var candidate = OfferedCandidate(
                    type: fields[7],
                    address: Endpoint(address: address, port: port),
                    transport: fields[2].lowercased(),
                    related: nil
                )
                if let r = fields.firstIndex(of: "raddr"), r + 3 < fields.count, fields[r + 2] == "rport",
                    let related = IPAddress(fields[r + 1]), let relatedPort = UInt16(fields[r + 3])
                {
                    candidate.related = Endpoint(address: related, port: relatedPort)
                }
                candidates.append(candidate)
            } else if line.hasPrefix("a=ice-ufrag:") {
                iceUfrag = String(line.dropFirst(12))
            }
        }
        flushMedia()
        if mediaAddresses.isEmpty && candidates.isEmpty { return nil }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}
