import CPcap
import Wire

/// The one packet loop over a `pcap_t`, shared by files and live interfaces: `pcap_next_ex`
/// until the end of the file or `pcap_breakloop`, each packet handed on without copying.
@usableFromInline enum PcapReadLoop {
    @usableFromInline enum Outcome {
        case ended
        case failed(String)
    }

    /// - Parameters:
    ///   - unsignedSeconds: classic pcap files store seconds as an unsigned 32-bit field (good until
    ///     2106), which libpcap hands out sign-extended; Wireshark reads it unsigned, and so do we.
    ///   - onPacket: the header and bytes; the bytes are valid only during the call.
    ///   - onTimeout: a live read timed out with no packet.
    @inlinable @inline(__always)
    static func run(
        _ handle: OpaquePointer,
        unsignedSeconds: Bool,
        onPacket: (_ timestamp: Timestamp, _ capturedLength: Int, _ wireLength: Int, UnsafeRawBufferPointer) -> Void,
        onTimeout: () -> Void
    ) -> Outcome {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            if status == 1, let header, let data {
                let h = header.pointee
                let seconds = unsignedSeconds ? Int64(UInt32(truncatingIfNeeded: h.ts.tv_sec)) : Int64(h.ts.tv_sec)
                // With PCAP_TSTAMP_PRECISION_NANO libpcap stores nanoseconds in tv_usec.
                let timestamp = Timestamp(seconds: seconds, nanoseconds: Int64(h.ts.tv_usec))
                onPacket(
                    timestamp,
                    Int(h.caplen),
                    Int(h.len),
                    UnsafeRawBufferPointer(start: data, count: Int(h.caplen))
                )
            } else if status == 0 {
                onTimeout()
            } else if status == PCAP_ERROR_BREAK {
                return .ended
            } else {
                return .failed(String(cString: pcap_geterr(handle)))
            }
        }
    }
}
