import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes packets as pcapng (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
/// Description Block with nanosecond timestamps and the interface name, then an Enhanced Packet
/// Block per packet. Optionally rotates to `name.1.pcapng`, `name.2.pcapng`… past a size.
public final class PcapNGWriter {
    private var file: UnsafeMutablePointer<FILE>?
    private let basePath: String
    private let linkType: UInt16
    private let snaplen: UInt32
    private let interfaceName: String
    private let rotateBytes: Int?
    private var written = 0
    private var fileIndex = 0
    private var block: [UInt8] = []
    public private(set) var paths: [String] = []

    public init(path: String, linkType: LinkType, snaplen: Int32, interfaceName: String, rotateBytes: Int? = nil)
        throws(CaptureError)
    {
        basePath = path
        self.linkType = UInt16(truncatingIfNeeded: linkType.rawValue)
        self.snaplen = UInt32(truncatingIfNeeded: max(0, snaplen))
        self.interfaceName = interfaceName
        self.rotateBytes = rotateBytes
        block.reserveCapacity(65_600)
        try open()
    }

    deinit { if let file { fclose(file) } }

    private var currentPath: String {
        guard fileIndex > 0 else { return basePath }
        let stem = basePath.hasSuffix(".pcapng") ? String(basePath.dropLast(7)) : basePath
        return "\(stem).\(fileIndex).pcapng"
    }

    private func open() throws(CaptureError) {
        guard let opened = fopen(currentPath, "wb") else {
            throw CaptureError(
                code: .write,
                message:
                    "\(currentPath): cannot write: \(String(cString: strerror(errno))); choose a writable path with -w"
            )
        }
        file = opened
        paths.append(currentPath)
        written = 0
        // Section Header Block (type 0x0A0D0D0A): byte-order magic, version 1.0, section length unknown.
        block.removeAll(keepingCapacity: true)
        append32(0x0A0D_0D0A); append32(28); append32(0x1A2B_3C4D); append16(1); append16(0)
        append32(0xFFFF_FFFF); append32(0xFFFF_FFFF); append32(28)
        flushBlock()
        // Interface Description Block (type 1): link type, snaplen, if_name (2), if_tsresol (9) = 9.
        let name = Array(interfaceName.utf8)
        let namePadded = (name.count + 3) / 4 * 4
        let length = 20 + 4 + namePadded + 8 + 4
        block.removeAll(keepingCapacity: true)
        append32(1); append32(UInt32(length)); append16(linkType); append16(0); append32(snaplen)
        append16(2); append16(UInt16(name.count)); block += name;
        block += [UInt8](repeating: 0, count: namePadded - name.count)
        append16(9); append16(1); block += [9, 0, 0, 0]
        append16(0); append16(0)
        append32(UInt32(length))
        flushBlock()
    }

    /// Appends one packet as an Enhanced Packet Block.
    public func write(_ meta: PacketMeta, _ bytes: UnsafeRawBufferPointer) throws(CaptureError) {
        if let rotateBytes, written >= rotateBytes {
            if let file { fclose(file) }
            fileIndex += 1
            try open()
        }
        let padded = (bytes.count + 3) / 4 * 4
        let length = 32 + padded
        let nanoseconds = UInt64(bitPattern: meta.timestamp.nanoseconds)
        block.removeAll(keepingCapacity: true)
        append32(6); append32(UInt32(length)); append32(0)
        append32(UInt32(truncatingIfNeeded: nanoseconds >> 32)); append32(UInt32(truncatingIfNeeded: nanoseconds))
        append32(UInt32(bytes.count)); append32(UInt32(meta.wireLength))
        block.append(contentsOf: bytes)
        for _ in bytes.count..<padded { block.append(0) }
        append32(UInt32(length))
        guard flushBlock() else {
            throw CaptureError(
                code: .write,
                message: "\(currentPath): write failed: \(String(cString: strerror(errno)))"
            )
        }
    }

    public func close() {
        if let file { fflush(file); fclose(file) }
        file = nil
    }

    @discardableResult
    private func flushBlock() -> Bool {
        guard let file else { return false }
        let count = block.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        written += count
        return count == block.count
    }

    // pcapng is written in the host's byte order; the SHB's magic tells readers which it is.
    private func append32(_ value: UInt32) { withUnsafeBytes(of: value) { block.append(contentsOf: $0) } }
    private func append16(_ value: UInt16) { withUnsafeBytes(of: value) { block.append(contentsOf: $0) } }
}
