import Dissect
import Wire

extension PayloadAnalyzer {
    /// A long-header packet of a known QUIC version is `quic`. An Initial one is opened with keys
    /// derived from its connection's first Destination Connection ID (RFC 9001 §5.2) and is `tls`
    /// too when its CRYPTO frames carry the handshake on, as tshark counts it; the hello it
    /// completes is decoded for the report.
    mutating func analyzeQUIC(
        _ payload: UnsafeRawBufferPointer,
        source: Endpoint,
        key: FlowKey,
        _ flow: inout FlowState,
        frame: Int,
        _ result: inout PacketAnalysis
    ) {
        var input = ByteCursor(payload)
        guard let header = try? QUICLongHeader(parsing: &input) else { return }
        result.protocols.append(.quic)
        guard header.type == .initial, !quoting, let delivery = quic.receive(payload, header, from: source, key: key)
        else {
            return
        }
        flow.confirm(.quic, frame: frame)
        guard delivery.delivered else { return }
        result.protocols.append(.tls)
        guard let message = delivery.message else { return }
        result.tlsRecords = 1
        result.tlsFirstType = .handshake
        // QUIC carries handshake messages without TLS records: one is written in front, so the
        // report reads this hello as it reads one reassembled from TCP segments.
        reassembledHello.removeAll(keepingCapacity: true)
        reassembledHello.append(TLSContentType.handshake.rawValue)
        reassembledHello.append(0x03)
        reassembledHello.append(0x03)
        reassembledHello.append(UInt8(truncatingIfNeeded: message.count >> 8))
        reassembledHello.append(UInt8(truncatingIfNeeded: message.count))
        reassembledHello.append(contentsOf: message)
        result.tlsHandshakeType = message.first
        reassembledHello.withUnsafeBytes { raw in
            var input = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[TLSRecordHeader.length...]))
            guard let hello = (try? TLSHandshake(parsing: &input))?.hello else { return }
            result.tlsHello = hello
            result.tlsHelloLocation = .reassembled
        }
    }
}
