import Wire

/// IP-HTTPS (MS-IPHTTPS §3.1.5): IPv6 packets in the body of a never-ending HTTPS request. With a
/// NULL cipher suite (Windows 8 and later) the records carry clear text: first the request line,
/// then back-to-back IPv6 packets.
public enum IPHTTPS {
    /// Whether clear-text `bytes` open with an IP-HTTPS request line (`POST /IPHTTPS` or `POST /IPTLS`).
    public static func isRequestLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(bytes)
        guard input.hasPrefix("POST "), (try? input.skip(5)) != nil else { return false }
        return input.hasPrefix("/IPHTTPS", caseInsensitive: true) || input.hasPrefix("/IPTLS", caseInsensitive: true)
    }
}
