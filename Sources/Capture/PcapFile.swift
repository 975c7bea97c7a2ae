import CPcap
import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An offline capture (pcap or pcapng) opened through libpcap with nanosecond timestamps.
///
/// The instance owns its `pcap_t`; packet bytes handed to `forEachPacket` are libpcap's own buffer
/// and are valid only inside the callback: nothing is copied.
public final class PcapFile: PacketSource {
    @usableFromInline let handle: OpaquePointer
    private let readBuffer: UnsafeMutableRawPointer
    private static let readBufferSize = 64 * 1024
    public let path: String
    public let linkType: LinkType
    public let isPcapNG: Bool
    /// Frames handed out so far.
    public private(set) var packetsRead = 0
    /// For classic pcap: the byte offset where the next record starts (24-byte file header, then
    /// 16-byte record headers), so a cut-off file can be reported precisely.
    @usableFromInline private(set) var nextRecordOffset: Int64 = 24

    public init(path: String) throws(CaptureError) {
        self.path = path
        if let problem = Self.problemOpening(path) { throw problem }
        guard let file = fopen(path, "rb") else {
            throw CaptureError(code: .unreadable, message: "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        // libpcap reads each record with two small freads; stdio's default 4 KiB buffer makes that one
        // read(2) per dozen packets. 64 KiB cuts the syscalls 16-fold and still fits in L2 (larger
        // buffers measured slower).
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.readBufferSize, alignment: 64)
        setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, Self.readBufferSize)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        let opened = pcap_fopen_offline_with_tstamp_precision(
            file,
            UInt32(PCAP_TSTAMP_PRECISION_NANO),
            &errorBuffer
        )
        guard let opened else {
            fclose(file)
            buffer.deallocate()
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Self.classifyOpenFailure(path: path, reason: reason)
        }
        readBuffer = buffer
        handle = opened
        linkType = LinkType(rawValue: pcap_datalink(opened))
        isPcapNG = Self.readMagic(path) == 0x0A0D_0D0A
    }

    deinit {
        pcap_close(handle)  // closes the FILE, which must not outlive its buffer
        readBuffer.deallocate()
    }

    public var name: String { path }

    public func forEachPacket(
        _ body: (PacketMeta, UnsafeRawBufferPointer) -> Void,
        idle: () -> Void
    ) throws(CaptureError) {
        try forEachPacket(body)
    }

    /// Calls `body` for every frame in file order. Throws `.truncated` when the file ends inside a
    /// record (after every complete record was delivered) and `.read` on other libpcap errors.
    ///
    /// Inlined into its callers, and `body` with it: a closure call per packet cost a third of
    /// what the loop around libpcap costs (`packets` and `conversations` read every frame here).
    @inlinable @inline(__always)
    public func forEachPacket(_ body: (PacketMeta, UnsafeRawBufferPointer) -> Void) throws(CaptureError) {
        // Counted in locals and stored once: a class property updated per packet from a closure
        // pays a dynamic exclusivity check each time.
        var packets = packetsRead
        var recordOffset = nextRecordOffset
        // Once the process has threads (`packets` reads on its own), stdio locks the FILE in each
        // of libpcap's two freads per record: holding the lock across the loop turns those into
        // a counter update instead of two atomic operations each.
        let stream = pcap_file(handle)
        if let stream { flockfile(stream) }
        defer { if let stream { funlockfile(stream) } }
        let outcome = PcapReadLoop.run(
            handle,
            unsignedSeconds: !isPcapNG,
            onPacket: { timestamp, captured, wire, bytes in
                packets &+= 1
                recordOffset &+= 16 &+ Int64(captured)
                body(
                    PacketMeta(frame: packets, timestamp: timestamp, capturedLength: captured, wireLength: wire),
                    bytes
                )
            },
            onTimeout: {}
        )
        try finishReading(packets: packets, recordOffset: recordOffset, outcome)
    }

    /// Keeps the position `forEachPacket` reached and throws the failure that ended it, if any.
    @usableFromInline
    func finishReading(packets: Int, recordOffset: Int64, _ outcome: PcapReadLoop.Outcome) throws(CaptureError) {
        packetsRead = packets
        nextRecordOffset = recordOffset
        if case .failed(let reason) = outcome { throw readFailure(reason) }
    }

    private func readFailure(_ reason: String) -> CaptureError {
        let lowered = reason.lowercased()
        if lowered.contains("truncated") || lowered.contains("but the file ends") || lowered.contains("only got") {
            let offset: Int64 = isPcapNG ? currentFileOffset() : nextRecordOffset
            return CaptureError(
                code: .truncated,
                message: "\(path): capture is cut off mid-record at byte \(offset), after \(packetsRead) complete "
                    + "packets (libpcap: \(reason)); results cover those packets; the file was probably copied "
                    + "while still being written: copy it again once the capture has stopped"
            )
        }
        if lowered.contains("different from the type of the first interface") {
            return CaptureError(
                code: .unsupportedLinkType,
                message: "\(path): interfaces with different link types in one pcapng (libpcap: \(reason)); "
                    + "split it per interface with `editcap -T` or `tshark -r FILE -w OUT -Y frame.interface_id==N`"
            )
        }
        return CaptureError(code: .read, message: "\(path): read error after \(packetsRead) packets: \(reason)")
    }

    private func currentFileOffset() -> Int64 {
        guard let file = pcap_file(handle) else { return -1 }
        return Int64(ftello(file))
    }

    private static func problemOpening(_ path: String) -> CaptureError? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT {
                return CaptureError(code: .fileNotFound, message: "\(path): no such file; check the path")
            }
            return CaptureError(
                code: .unreadable,
                message: "\(path): cannot access: \(String(cString: strerror(errno)))"
            )
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            return CaptureError(
                code: .unreadable,
                message: "\(path): is a directory; give a .pcap or .pcapng file inside it"
            )
        }
        guard access(path, R_OK) == 0 else {
            return CaptureError(
                code: .unreadable,
                message: "\(path): permission denied; make it readable (chmod a+r) or run as its owner"
            )
        }
        return nil
    }

    private static func classifyOpenFailure(path: String, reason: String) -> CaptureError {
        let lowered = reason.lowercased()
        if lowered.contains("unknown file format") || lowered.contains("bad dump file format")
            || lowered.contains("not a pcap") || lowered.contains("too short")
            || lowered.contains("truncated dump file")
            || lowered.contains("version")
        {
            return CaptureError(
                code: .notACapture,
                message: "\(path): not a pcap or pcapng capture (libpcap: \(reason)); save it from Wireshark "
                    + "as pcapng, or convert it with `editcap -F pcapng IN OUT`"
            )
        }
        return CaptureError(code: .unreadable, message: "\(path): cannot open: \(reason)")
    }

    private static func readMagic(_ path: String) -> UInt32 {
        guard let file = fopen(path, "rb") else { return 0 }
        defer { fclose(file) }
        var magic: UInt32 = 0
        guard fread(&magic, 4, 1, file) == 1 else { return 0 }
        return UInt32(bigEndian: magic)
    }
}
