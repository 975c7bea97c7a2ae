import Dissect
import Testing
import Wire

/// TLS hellos built field by field after RFC 8446 §4.1.2–4.1.3, RFC 6066 §3 (server_name),
/// RFC 7301 §3.1 (ALPN) and RFC 5246 App. A.5 (NULL suites, IP-HTTPS's clear mode).
@Suite struct TLSTests {
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func extensionBlock(_ type: Int, _ data: [UInt8]) -> [UInt8] { be16(type) + be16(data.count) + data }

    static let serverName = Array("vpn.example".utf8)

    /// ClientHello body: TLS 1.2 legacy version, zero random, no session id, two suites (TLS_AES_128_GCM_SHA256
    /// and TLS_RSA_WITH_NULL_SHA256), null compression, then SNI, ALPN "h2" and supported_versions {1.3, 1.2}.
    static let clientHello: [UInt8] = {
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0, count: 32) + [0]
        body += be16(4) + [0x13, 0x01, 0x00, 0x3B] + [1, 0]
        let sni = be16(serverName.count + 3) + [0] + be16(serverName.count) + serverName
        let alpn = be16(3) + [2] + Array("h2".utf8)
        let versions: [UInt8] = [4, 0x03, 0x04, 0x03, 0x03]
        let extensions = extensionBlock(0, sni) + extensionBlock(0x10, alpn) + extensionBlock(0x2B, versions)
        return body + be16(extensions.count) + extensions
    }()

    /// ServerHello body choosing TLS_RSA_WITH_NULL_SHA256 (0x003B), no extensions (TLS 1.2).
    static let serverHello: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0, 0x00, 0x3B, 0]

    func parse(_ bytes: [UInt8], client: Bool) throws -> TLSHello {
        try bytes.withUnsafeBytes { (raw) throws in
            var input = ByteCursor(raw)
            return try TLSHello(parsing: &input, client: client, datagram: false)
        }
    }

    func text(_ bytes: [UInt8], _ range: Range<Int>?) -> String? {
        range.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test func clientHelloFields() throws {
        let hello = try parse(Self.clientHello, client: true)
        #expect(hello.isClientHello)
        #expect(hello.cipherSuiteCount == 2)
        #expect(hello.cipherSuite == 0x1301)
        #expect(hello.nullCipher)  // a NULL suite was offered
        #expect(text(Self.clientHello, hello.serverName) == "vpn.example")
        #expect(text(Self.clientHello, hello.alpn) == "h2")
        #expect(hello.supportedVersion == 0x0304)
    }

    @Test func serverHelloChoosingANullSuite() throws {
        let hello = try parse(Self.serverHello, client: false)
        #expect(!hello.isClientHello)
        #expect(hello.cipherSuite == 0x003B)
        #expect(hello.nullCipher)
    }

    @Test func serverHelloWithAnAEADSuiteIsNotNull() throws {
        var bytes = Self.serverHello
        bytes[35] = 0xC0
        bytes[36] = 0x2F  // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        #expect(!(try parse(bytes, client: false)).nullCipher)
    }

    @Test func everyTruncatedClientHelloIsRejected() {
        let decoded = ByteSweeps.truncations(Self.clientHello) { (input) throws(DecodeError) in
            _ = try TLSHello(parsing: &input, client: true, datagram: false)
        }
        // Only the cuts at the end of the compression methods parse: extensions are optional before
        // TLS 1.3, and a lone byte of their length is read as "no extensions".
        #expect(decoded == 2)
    }

    @Test func byteFlipsNeverCrash() {
        ByteSweeps.flips(Self.clientHello) { (input) throws(DecodeError) in
            _ = try TLSHello(parsing: &input, client: true, datagram: false)
        }
    }

    func probe(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { TLSRecordHeader.probe($0) } }

    /// A valid header starts TLS whatever its body (Skype sends `16 03 01 00 00` first on 443);
    /// type 20–24, major version 3 and a length up to 2^14 + 2048 are what make it valid.
    @Test func anEmptyRecordWithAValidHeaderStartsTLS() {
        #expect(probe([0x16, 0x03, 0x01, 0x00, 0x00]))
        #expect(probe([0x17, 0x03, 0x03, 0x00, 0x00]))
        #expect(!probe([0x16, 0x02, 0x00, 0x00, 0x00]))  // SSL 2.0 version
        #expect(!probe([0x16, 0x03, 0x05, 0x00, 0x00]))  // no such minor version
        #expect(!probe([0x19, 0x03, 0x03, 0x00, 0x00]))  // type 25 is DTLS 1.2's CID, not TCP TLS
        #expect(!probe([0x17, 0x03, 0x03, 0x48, 0x01]))  // longer than 2^14 + 2048
        #expect(!probe([0x16, 0x03, 0x01, 0x00]))  // header cut short
    }

    /// RFC 5246 §6.2.1: no zero-length Handshake, Alert or ChangeCipherSpec fragments; zero-length
    /// application data "MAY be sent"; a heartbeat has at least its type and length (RFC 6520 §4).
    @Test func onlyApplicationDataMayBeEmpty() {
        for type in [TLSContentType.changeCipherSpec, .alert, .handshake, .heartbeat] {
            #expect(TLSRecordHeader.isForbiddenEmpty(type, bodyLength: 0))
            #expect(!TLSRecordHeader.isForbiddenEmpty(type, bodyLength: 1))
        }
        #expect(!TLSRecordHeader.isForbiddenEmpty(.applicationData, bodyLength: 0))
    }
}
