import Dissect
import Testing
import Wire

/// WebSocket frame headers from RFC 6455 §5.7's examples, and the opening handshake of SIP over
/// WebSocket (RFC 7118 §4 with RFC 6455 §1.3).
@Suite struct WebSocketTests {
    func header(_ bytes: [UInt8]) throws -> WebSocketFrameHeader {
        try bytes.withUnsafeBytes { (raw) throws in
            var input = ByteCursor(raw)
            return try WebSocketFrameHeader(parsing: &input)
        }
    }

    /// §5.7 "A single-frame masked text message": 0x81 0x85 0x37 0xfa 0x21 0x3d, then "Hello" masked.
    @Test func maskedTextFrame() throws {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let frame = try header(bytes)
        #expect(frame.fin && frame.opcode == 1 && frame.isData)
        #expect(frame.maskingKey == 0x37FA_213D && frame.payloadLength == 5 && frame.headerLength == 6)
        #expect(WebSocketFrameHeader.headerLength(secondByte: 0x85) == 6)
        // §5.3: octet i of the payload is XORed with octet i mod 4 of the key.
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        let text = bytes[6...].enumerated().map { $0.element ^ key[$0.offset % 4] }
        #expect(text == Array("Hello".utf8))
    }

    /// §5.7: "Hel" unfinished (0x01 0x03), a continuation ending it (0x80 0x02), a 256-byte binary
    /// frame with the 16-bit length (0x82 0x7E 0x0100), a 64 KiB one with the 64-bit length.
    @Test func fragmentsAndExtendedLengths() throws {
        let first = try header([0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(!first.fin && first.opcode == 1 && first.maskingKey == nil && first.payloadLength == 3)
        let last = try header([0x80, 0x02, 0x6C, 0x6F])
        #expect(last.fin && last.opcode == 0 && last.isData)
        let medium = try header([0x82, 0x7E, 0x01, 0x00])
        #expect(medium.payloadLength == 256 && medium.headerLength == 4)
        let large = try header([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(large.payloadLength == 65536 && large.headerLength == 10)
        #expect(WebSocketFrameHeader.headerLength(secondByte: 0xFF) == 14)
    }

    /// §5.2 reserved bits and opcodes, §5.5 control frames over 125 bytes or fragmented: malformed.
    @Test func malformedHeadersAreRefused() {
        #expect(throws: DecodeError.self) { try header([0xC1, 0x00]) }  // RSV1 without an extension
        #expect(throws: DecodeError.self) { try header([0x83, 0x00]) }  // opcode 3 is reserved
        #expect(throws: DecodeError.self) { try header([0x89, 0x7E, 0x00, 0x80]) }  // a 128-byte ping
        #expect(throws: DecodeError.self) { try header([0x09, 0x00]) }  // a ping without FIN
        #expect(throws: DecodeError.self) { try header([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]) }  // 64-bit MSB set
        let masked: [UInt8] = [0x81, 0xFE, 0x01, 0x00, 1, 2, 3, 4]
        #expect(
            ByteSweeps.truncations(masked) { (input) throws(DecodeError) in
                _ = try WebSocketFrameHeader(parsing: &input)
            } == 0
        )
        ByteSweeps.flips(masked) { (input) throws(DecodeError) in _ = try WebSocketFrameHeader(parsing: &input) }
    }

    /// RFC 7118 §4: the client offers the `sip` subprotocol, the server's 101 selects it.
    static let request = Array(
        """
        GET / HTTP/1.1\r
        Host: proxy.example.com\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Origin: http://www.example.com\r
        Sec-WebSocket-Protocol: sip\r
        Sec-WebSocket-Version: 13\r
        \r

        """.utf8
    )
    static let response = Array(
        """
        HTTP/1.1 101 Switching Protocols\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r
        Sec-WebSocket-Protocol: sip\r
        \r

        """.utf8
    )

    @Test func sipUpgradeHandshake() {
        #expect(Self.request.withUnsafeBytes { WebSocketHandshake.isSIPUpgrade($0) })
        #expect(Self.response.withUnsafeBytes { WebSocketHandshake.isSIPUpgrade($0) })
        func upgrade(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { WebSocketHandshake.isSIPUpgrade($0) }
        }
        #expect(upgrade("GET / HTTP/1.1\r\nupgrade: WebSocket\r\nsec-websocket-protocol: chat, SIP\r\n\r\n"))
        #expect(!upgrade("GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: sips\r\n\r\n"))
        #expect(!upgrade("GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: chat\r\n\r\n"))
        #expect(!upgrade("GET / HTTP/1.1\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))  // no Upgrade
        #expect(!upgrade("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))
    }
}
