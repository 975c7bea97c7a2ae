#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Interface names recorded in a pcapng file's Interface Description Blocks (`if_name`, option 2),
/// which libpcap does not expose when reading. A capture taken on `ppp0`, `tun0` or `wg0` is
/// itself evidence that its packets went through a tunnel.
public enum PcapNGInterfaces {
    /// Reads blocks from the start of the file until the first packet block (IDBs precede the
    /// packets that use them). Returns an empty list for classic pcap files or on any oddity.
    public static func names(inFile path: String, limit: Int = 1 << 20) -> [String] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var names: [String] = []
        var header = [UInt8](repeating: 0, count: 8)
        var littleEndian = true
        var consumed = 0
        while consumed < limit, fread(&header, 1, 8, file) == 8 {
            var type = word(header, 0, littleEndian)
            if type == 0x0A0D_0D0A {  // Section Header Block: its byte-order magic sets the endianness
                var magic = [UInt8](repeating: 0, count: 4)
                guard fread(&magic, 1, 4, file) == 4 else { break }
                littleEndian = magic == [0x4D, 0x3C, 0x2B, 0x1A]
                fseek(file, -4, SEEK_CUR)
                type = 0x0A0D_0D0A
            }
            let length = Int(word(header, 4, littleEndian))
            guard length >= 12, length % 4 == 0, length <= limit else { break }
            var body = [UInt8](repeating: 0, count: length - 8)
            guard fread(&body, 1, body.count, file) == body.count else { break }
            consumed += length
            switch type {
            case 1:  // Interface Description Block: link type 2, reserved 2, snaplen 4, then options
                names.append(optionName(body, from: 8, littleEndian) ?? "")
            case 0x0A0D_0D0A:
                continue
            default:
                return names  // first packet (or other) block: the interfaces used so far are known
            }
        }
        return names
    }

    static func word(_ bytes: [UInt8], _ at: Int, _ littleEndian: Bool) -> UInt32 {
        guard at + 4 <= bytes.count else { return 0 }
        let b = bytes[at..<(at + 4)].map(UInt32.init)
        return littleEndian ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
    }

    /// The `if_name` option among the options starting at `from` (the block trailer is left out).
    static func optionName(_ body: [UInt8], from start: Int, _ littleEndian: Bool) -> String? {
        var at = start
        while at + 4 <= body.count - 4 {
            let word = Self.word(body, at, littleEndian)
            let code = littleEndian ? word & 0xFFFF : word >> 16
            let length = Int(littleEndian ? word >> 16 : word & 0xFFFF)
            if code == 0 { return nil }
            guard at + 4 + length <= body.count else { return nil }
            if code == 2 {
                return String(decoding: body[(at + 4)..<(at + 4 + length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            at += 4 + (length + 3) / 4 * 4
        }
        return nil
    }
}
