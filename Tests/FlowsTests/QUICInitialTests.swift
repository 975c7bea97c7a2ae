import Dissect
import Testing
import Wire

/// The sample packets of RFC 9001 Appendix A (QUIC v1, client-chosen Destination Connection ID
/// 0x8394c8f03e515708), copied from the RFC's text; the analyzer tests beside these use them too.
enum RFC9001 {
    static let destinationID = bytes("8394c8f03e515708")

    /// A.2: the client's CRYPTO frame (a ClientHello for example.com), then the protected packet.
    static let clientCryptoFrame = bytes(
        """
        060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c000004130113
        02010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d00170018001000070005
        04616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce1
        5d43e994ec74d748002b0003020304000d0010000e0403050306030203080408050806002d00020101001c0002400100
        3900320408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806
        048000ffff
        """
    )
    static let clientInitial = bytes(
        """
        c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c
        0bab7df5976d27cd449f63300099f3991c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c
        8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df621230c83711b39343fa028cea7f7fb5ff89
        eac2308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208
        4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e
        610ac8b7ec3faf6ad760b7bad1db4ba3485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db
        059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c7b4378e846d29f37ed7b4ea9ec5d82e7
        961b7f25a9323851f681d582363aa5f89937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556
        be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7
        fe942b330407abf82a4ed7c1b311663ac69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00
        f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632291d6a418211cc2962e20fe47feb3edf
        330f2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd
        14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346aee33c28eb130ff2
        8f5b766953334113211996d20011a198e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd
        c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73203a4a13e96f5432ec0fd4a1ee65accd
        d5e3904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e
        fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a07
        1b851e6c239052172f296bfb5e72404790a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2
        162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f440591f355e12d439ff150aab7613499d
        bd49adabc8676eef023b15b65bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e
        8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723
        c8c0aea8078cdfcb3868263ff8f0940054da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab
        760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9f96f3ca9ec1dde434da7d2d392b905dd
        f3d1f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064
        7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934
        """
    )

    /// A.3: the server's ACK and CRYPTO frames (a ServerHello), then the protected packet.
    static let serverPayload = bytes(
        """
        02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200
        130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00
        020304
        """
    )
    static let serverInitial = bytes(
        """
        cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb3
        8cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
        022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee
        """
    )

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter(\.isHexDigit).map { UInt8(String($0), radix: 16) ?? 0 }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}

/// Opening QUIC Initial packets, checked against RFC 9001 Appendix A and RFC 9369 Appendix A: key
/// derivation, header protection, AES-128-GCM and the CRYPTO frames inside; then damaged packets,
/// which must fail to open without trapping.
@Suite struct QUICInitialTests {
    static func keys(_ version: QUICVersion, _ sender: QUICInitialKeys.Sender) -> QUICInitialKeys {
        RFC9001.destinationID.withUnsafeBytes { QUICInitialKeys(version: version, destinationID: $0, sender: sender) }
    }

    static func header(_ packet: [UInt8]) throws -> QUICLongHeader {
        try packet.withUnsafeBytes { (raw) throws in
            var input = ByteCursor(raw)
            return try QUICLongHeader(parsing: &input)
        }
    }

    /// Opens `packet` with `keys`: the opener (for its header and plaintext) when it authenticates.
    static func open(_ packet: [UInt8], _ keys: QUICInitialKeys) -> QUICInitialOpener? {
        guard let header = try? header(packet) else { return nil }
        var opener = QUICInitialOpener()
        let opened = packet.withUnsafeBytes { opener.open($0, header, keys: keys) }
        return opened ? opener : nil
    }

    static func cryptoFrames(_ plaintext: [UInt8]) throws -> [(offset: UInt64, data: [UInt8])] {
        var frames: [(offset: UInt64, data: [UInt8])] = []
        try plaintext.withUnsafeBytes { (raw) throws in
            try QUICFrames.forEachCrypto(raw) { frames.append(($0, Array($1))) }
        }
        return frames
    }

    // MARK: keys

    @Test func rfc9001Keys() {
        let client = Self.keys(.v1, .client)
        #expect(client.key == RFC9001.bytes("1f369613dd76d5467730efcbe3b1a22d"))
        #expect(client.iv == RFC9001.bytes("fa044b2f42a3fd3b46fb255c"))
        #expect(client.headerProtection == RFC9001.bytes("9f50449e04a0e810283a1e9933adedd2"))
        let server = Self.keys(.v1, .server)
        #expect(server.key == RFC9001.bytes("cf3a5331653c364c88f0f379b6067e37"))
        #expect(server.iv == RFC9001.bytes("0ac1493ca1905853b0bba03e"))
        #expect(server.headerProtection == RFC9001.bytes("c206b8d9b9f0f37644430b490eeaa314"))
    }

    /// RFC 9369 Appendix A.1 (v2 salt and "quicv2" labels); draft-ietf-quic-tls-29 Appendix A.1.
    @Test func v2AndDraft29Keys() {
        let client = Self.keys(.v2, .client)
        #expect(client.key == RFC9001.bytes("8b1a0bc121284290a29e0971b5cd045d"))
        #expect(client.iv == RFC9001.bytes("91f73e2351d8fa91660e909f"))
        #expect(client.headerProtection == RFC9001.bytes("45b95e15235d6f45a6b19cbcb0294ba9"))
        let server = Self.keys(.v2, .server)
        #expect(server.key == RFC9001.bytes("82db637861d55e1d011f19ea71d5d2a7"))
        #expect(server.iv == RFC9001.bytes("dd13c276499c0249d3310652"))
        #expect(server.headerProtection == RFC9001.bytes("edf6d05c83121201b436e16877593c3a"))
        let draft = Self.keys(.draft29, .client)
        #expect(draft.key == RFC9001.bytes("175257a31eb09dea9366d8bb79ad80ba"))
        #expect(draft.iv == RFC9001.bytes("6b26114b9cba2b63a9e8dd4f"))
        #expect(draft.headerProtection == RFC9001.bytes("9ddd12c994c0698b89374a9c077a3077"))
    }

    @Test func versions() {
        #expect(QUICVersion(wire: 1) == .v1)
        #expect(QUICVersion(wire: 0x6B33_43CF) == .v2)
        #expect(QUICVersion(wire: 0xFF00_001D) == .draft29)
        #expect(QUICVersion(wire: 0xFF00_0020) == .draft29)
        #expect(QUICVersion(wire: 0xFF00_001C) == nil)
        #expect(QUICVersion(wire: 0) == nil)  // version negotiation
    }

    // MARK: A.2 client Initial

    @Test func clientInitial() throws {
        let packet = RFC9001.clientInitial
        #expect(packet.count == 1200)
        let header = try Self.header(packet)
        #expect(header.version == .v1)
        #expect(header.type == .initial)
        #expect(Array(packet[header.destinationID]) == RFC9001.destinationID)
        #expect(header.sourceID.isEmpty)
        #expect(header.packetNumberOffset == 18)
        #expect(header.end == 1200)  // length 1182 after the 18-byte header

        let sample = Array(packet[(header.packetNumberOffset + 4)..<(header.packetNumberOffset + 20)])
        #expect(sample == RFC9001.bytes("d1b1c98dd7689fb8ec11d242b123dc9b"))
        var mask: [UInt8] = []
        let masked = sample.withUnsafeBytes {
            QUICInitialOpener.headerProtectionMask($0, key: Self.keys(.v1, .client).headerProtection, into: &mask)
        }
        #expect(masked)
        #expect(Array(mask.prefix(5)) == RFC9001.bytes("437b9aec36"))

        let opener = try #require(Self.open(packet, Self.keys(.v1, .client)))
        #expect(opener.unprotectedHeader == RFC9001.bytes("c300000001088394c8f03e5157080000449e00000002"))
        #expect(opener.plaintext.count == 1162)
        #expect(Array(opener.plaintext.prefix(RFC9001.clientCryptoFrame.count)) == RFC9001.clientCryptoFrame)
        #expect(opener.plaintext.dropFirst(RFC9001.clientCryptoFrame.count).allSatisfy { $0 == 0 })  // PADDING

        let frames = try Self.cryptoFrames(opener.plaintext)
        #expect(frames.count == 1)
        #expect(frames.first?.offset == 0)
        #expect(frames.first?.data == Array(RFC9001.clientCryptoFrame.dropFirst(4)))  // type, offset, 2-byte length
        let message = try #require(frames.first?.data)
        let hello = try message.withUnsafeBytes { (raw) throws(DecodeError) in
            var input = ByteCursor(raw)
            return try TLSHandshake(parsing: &input)
        }
        #expect(hello.messageType == 1)
        let serverName = try #require(hello.hello?.serverName)
        #expect(String(decoding: message[serverName], as: UTF8.self) == "example.com")
    }

    @Test func theServersKeysDoNotOpenTheClientsPacket() {
        #expect(Self.open(RFC9001.clientInitial, Self.keys(.v1, .server)) == nil)
        #expect(Self.open(RFC9001.clientInitial, Self.keys(.v2, .client)) == nil)
    }

    // MARK: A.3 server Initial

    @Test func serverInitial() throws {
        let packet = RFC9001.serverInitial
        let header = try Self.header(packet)
        #expect(header.type == .initial)
        #expect(header.destinationID.isEmpty)
        #expect(Array(packet[header.sourceID]) == RFC9001.bytes("f067a5502a4262b5"))
        #expect(header.end == packet.count)
        let sample = Array(packet[(header.packetNumberOffset + 4)..<(header.packetNumberOffset + 20)])
        #expect(sample == RFC9001.bytes("2cd0991cd25b0aac406a5816b6394100"))

        // The server's keys come from the client's Destination Connection ID, not from any ID in its packet.
        let opener = try #require(Self.open(packet, Self.keys(.v1, .server)))
        #expect(opener.unprotectedHeader == RFC9001.bytes("c1000000010008f067a5502a4262b50040750001"))
        #expect(opener.plaintext == RFC9001.serverPayload)
        let frames = try Self.cryptoFrames(opener.plaintext)  // the ACK frame before it is skipped
        #expect(frames.map(\.offset) == [0])
        #expect(frames.first?.data.first == 2)  // ServerHello
        #expect(frames.first?.data.count == 90)
    }

    // MARK: damaged packets

    @Test func everyTruncationFailsToOpen() {
        let keys = Self.keys(.v1, .client)
        for length in 0..<RFC9001.clientInitial.count {
            #expect(Self.open(Array(RFC9001.clientInitial[..<length]), keys) == nil, "cut at \(length)")
        }
    }

    /// One flipped bit anywhere — header, sample, ciphertext or tag — and the packet does not authenticate.
    @Test func everyFlippedBitFailsToOpen() {
        let keys = Self.keys(.v1, .client)
        for packet in [RFC9001.clientInitial, RFC9001.serverInitial] {
            let keys = packet == RFC9001.serverInitial ? Self.keys(.v1, .server) : keys
            for index in packet.indices {
                var damaged = packet
                damaged[index] ^= 1 << UInt8(index % 8)
                #expect(Self.open(damaged, keys) == nil, "bit flipped in byte \(index)")
            }
        }
    }

    @Test func headersThatAreNotInitialPacketsOfAKnownVersion() {
        func parses(_ bytes: [UInt8]) -> Bool { (try? Self.header(bytes)) != nil }
        #expect(!parses([0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0]))  // fixed bit clear
        #expect(!parses([0xC0, 0xFA, 0xCE, 0xB0, 0x0C, 0, 0, 0, 1, 0]))  // unknown version
        #expect(!parses([0xC0, 0, 0, 0, 1, 21] + [UInt8](repeating: 0, count: 30)))  // 21-byte connection ID
        #expect(!parses([0xC0, 0, 0, 0, 1, 0, 0, 0, 0x40, 0x10, 0]))  // length 16 with one byte left
        let handshake = try? Self.header([0xE0, 0, 0, 0, 1, 0, 0, 2, 0xAA, 0xBB])
        #expect(handshake?.type == .handshake)
        #expect(handshake?.end == 10)
        let v2Initial = try? Self.header([0xD0, 0x6B, 0x33, 0x43, 0xCF, 0, 0, 0, 1, 0xAA])
        #expect(v2Initial?.type == .initial)
    }

    // MARK: frames

    @Test func framesAfterOneNotAllowedInInitialPacketsAreNotRead() {
        // PING, ACK with one more range and ECN counts, CRYPTO "abc" at 5, STREAM (0x08), CRYPTO.
        let plaintext: [UInt8] =
            [0x01, 0x03, 0x0A, 0x00, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]
            + [0x06, 0x05, 0x03] + Array("abc".utf8) + [0x08, 0x00, 0x06, 0x00, 0x01, 0x7A]
        var seen: [UInt64] = []
        #expect(throws: DecodeError.self) {
            try plaintext.withUnsafeBytes { (raw) throws in
                try QUICFrames.forEachCrypto(raw) { offset, _ in seen.append(offset) }
            }
        }
        #expect(seen == [5])
    }

    @Test func anACKClaimingMoreRangesThanFitIsMalformed() {
        let plaintext: [UInt8] = [0x02, 0x00, 0x00, 0xBF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]
        #expect(throws: DecodeError.self) {
            try plaintext.withUnsafeBytes { (raw) throws in try QUICFrames.forEachCrypto(raw) { _, _ in } }
        }
    }

    @Test func randomlyDamagedFramesNeverTrap() throws {
        let plaintext = try #require(Self.open(RFC9001.serverInitial, Self.keys(.v1, .server))).plaintext
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            var damaged = plaintext
            for _ in 0..<3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                damaged[Int(state >> 33) % damaged.count] = UInt8(truncatingIfNeeded: state >> 17)
            }
            var stream = QUICCryptoStream()
            damaged.withUnsafeBytes { raw in
                try? QUICFrames.forEachCrypto(raw) { offset, data in _ = stream.add(offset: offset, data) }
            }
            _ = stream.takeFirstMessage()
        }
    }

    /// RFC 9000 Appendix A.1's examples.
    @Test func variableLengthIntegers() throws {
        for (hex, value) in [
            ("c2197c5eff14e88c", 151_288_809_941_952_652), ("9d7f3e7d", 494_878_333), ("7bbd", 15293), ("25", 37),
            ("4025", 37),
        ] {
            let bytes = RFC9001.bytes(hex)
            let decoded = try bytes.withUnsafeBytes { (raw) throws(DecodeError) in
                var input = ByteCursor(raw)
                return try input.readQUICVarint()
            }
            #expect(decoded == UInt64(value))
        }
    }
}
