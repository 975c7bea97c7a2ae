import CPcap
import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A live capture on one interface, opened the way tcpdump does it: `pcap_create`, options,
/// `pcap_activate` (warnings apart from errors), then an optional BPF filter.
public final class LiveCapture: PacketSource {
    private let handle: OpaquePointer
    public let device: String
    public let linkType: LinkType
    public let snaplen: Int32
    public private(set) var packetsRead = 0
    /// Warnings `pcap_activate` returned (e.g. promiscuous mode not supported).
    public private(set) var warnings: [String] = []

    public struct Options: Sendable {
        public var snaplen: Int32 = 262_144
        public var bufferSize: Int32? = nil
        /// Off by default: batched delivery (at least every `timeoutMilliseconds`) costs far fewer wakeups.
        public var immediate = false
        public var promiscuous = false
        public var filter: String? = nil
        /// Read timeout: how often `idle` runs when no packet arrives.
        public var timeoutMilliseconds: Int32 = 200
        public init() {}
    }

    public var name: String { device }

    public init(device: String, options: Options = Options()) throws(CaptureError) {
        self.device = device
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let created = pcap_create(device, &errorBuffer) else {
            throw CaptureError(code: .unreadable, message: "\(device): \(Self.text(errorBuffer))")
        }
        pcap_set_snaplen(created, options.snaplen)
        pcap_set_promisc(created, options.promiscuous ? 1 : 0)
        pcap_set_timeout(created, options.timeoutMilliseconds)
        pcap_set_immediate_mode(created, options.immediate ? 1 : 0)
        if let size = options.bufferSize { pcap_set_buffer_size(created, size) }
        pcap_set_tstamp_precision(created, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(created)
        if status < 0 {
            let detail = String(cString: pcap_geterr(created))
            pcap_close(created)
            throw Self.activationError(device: device, status: status, detail: detail)
        }
        if status > 0 {
            warnings.append(
                "\(device): \(String(cString: pcap_statustostr(status))): \(String(cString: pcap_geterr(created)))"
            )
        }
        handle = created
        linkType = LinkType(rawValue: pcap_datalink(created))
        snaplen = pcap_snapshot(created)
        if let filter = options.filter { try apply(filter: filter) }
    }

    deinit { pcap_close(handle) }

    private func apply(filter: String) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(
                code: .badFilter,
                message: "capture filter \"\(filter)\" rejected: \(String(cString: pcap_geterr(handle))); "
                    + "write it in tcpdump's filter syntax (man pcap-filter), e.g. \"udp or tcp port 443\""
            )
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw CaptureError(code: .badFilter, message: "cannot set filter: \(String(cString: pcap_geterr(handle)))")
        }
    }

    public func forEachPacket(
        _ body: (PacketMeta, UnsafeRawBufferPointer) -> Void,
        idle: () -> Void
    ) throws(CaptureError) {
        let outcome = PcapReadLoop.run(
            handle,
            unsignedSeconds: false,
            onPacket: { timestamp, captured, wire, bytes in
                packetsRead &+= 1
                body(
                    PacketMeta(frame: packetsRead, timestamp: timestamp, capturedLength: captured, wireLength: wire),
                    bytes
                )
            },
            onTimeout: idle
        )
        if case .failed(let reason) = outcome {
            throw CaptureError(code: .read, message: "\(device): capture stopped: \(reason)")
        }
    }

    /// Makes `forEachPacket` return after the packet in hand. Safe to call from a signal handler.
    public func stop() { pcap_breakloop(handle) }

    /// Packets the kernel and libpcap received and dropped (pcap_stats), never hidden.
    public func statistics() -> (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return (stats.ps_recv, stats.ps_drop, stats.ps_ifdrop)
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func activationError(device: String, status: Int32, detail: String) -> CaptureError {
        switch status {
        case PCAP_ERROR_PERM_DENIED:
            return CaptureError(
                code: .permissionDenied,
                message: "permission denied on \(device): run as root or grant CAP_NET_RAW and CAP_NET_ADMIN "
                    + "(sudo setcap cap_net_raw,cap_net_admin=eip $(which callpath))"
            )
        case PCAP_ERROR_NO_SUCH_DEVICE:
            let known = CaptureDevices.list().map(\.name).joined(separator: ", ")
            return CaptureError(
                code: .noSuchDevice,
                message:
                    "no interface named \(device); known interfaces: \(known.isEmpty ? "none" : known) (see `callpath interfaces`)"
            )
        case PCAP_ERROR_IFACE_NOT_UP:
            return CaptureError(
                code: .interfaceDown,
                message: "\(device) is down: bring it up (ip link set \(device) up) and retry"
            )
        default:
            return CaptureError(
                code: .unreadable,
                message: "\(device): \(String(cString: pcap_statustostr(status))): \(detail)"
            )
        }
    }
}
