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

    /// The MAC that ends every record's plaintext under a TLS 1.2 NULL-encryption suite
    /// (RFC 5246 §6.2.3.1: a stream "cipher", so no IV and no padding), or nil when the suite is
    /// not one whose records can be read that way.
    public static func macLength(nullCipherSuite suite: UInt16) -> Int? {
        switch suite {
        case 0x0000: 0  // TLS_NULL_WITH_NULL_NULL
        case 0x0001: 16  // TLS_RSA_WITH_NULL_MD5
        case 0x0002, 0x002C, 0x002D, 0x002E: 20  // TLS_RSA_WITH_NULL_SHA, the PSK NULL SHA suites
        case 0x003B: 32  // TLS_RSA_WITH_NULL_SHA256
        default: nil
        }
    }
}
