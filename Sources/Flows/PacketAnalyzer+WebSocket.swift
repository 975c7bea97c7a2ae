import Dissect
import Wire

extension PayloadAnalyzer {
    /// SIP over WebSocket (RFC 7118): each data message that ends in this segment is parsed as one
    /// SIP message, and the segment is labelled `sip` (and `sdp`) as tshark labels the frame in which
    /// a WebSocket message completes. The message's bytes are unmasked into the direction's reusable
    /// buffer; the one the analysis describes is copied to `reassembledSIP` (`sipLocation` says so).
    mutating func analyzeWebSocket(
        _ bytes: UnsafeRawBufferPointer,
        _ direction: inout TCPDirection,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        direction.websocket.read(bytes) { event in
            switch event {
            case .message(let message): noteSIP(inWebSocketMessage: message, &flow, frame: frame, &result)
            case .malformed: result.malformed = "WebSocket"
            }
        }
        // Lets an early segment inside the open frame be held until the gap before it fills.
        direction.pduRemaining = direction.websocket.frameRemaining
    }

    /// A WebSocket message that holds a SIP message; other text (keep-alive line breaks) is passed over.
    /// Of several messages ending in one segment, the first with SDP (else the first) is described.
    mutating func noteSIP(
        inWebSocketMessage message: UnsafeRawBufferPointer,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        guard SIPMessage.probe(message) else { return }
        var input = ByteCursor(message)
        result.protocols.appendOnce(.sip)
        guard let sip = try? SIPMessage(parsing: &input, stream: false) else {
            result.malformed = "SIP"
            return
        }
        flow.confirm(.sip, frame: frame)
        let body = sip.hasSDP && sip.body.count > 0 ? Self.slice(message, sip.body) : nil
        if body != nil { result.protocols.appendOnce(.sdp) }
        guard !quoting, result.sip.map({ !$0.hasSDP && body != nil }) ?? true else { return }
        result.sip = sip
        if let body { result.sdp = SDPSummary(parsing: ByteCursor(body)) }
        result.sipLocation = .reassembled
        reassembledSIP.removeAll(keepingCapacity: true)
        reassembledSIP.append(contentsOf: message)
    }
}
