import Crypto
import Foundation

/// The keys that protect one side's Initial packets (RFC 9001 §5.1–5.2). They come from the
/// client's first Destination Connection ID and a salt the version publishes, so anyone on the
/// path can derive them — which is what lets a capture show the TLS hellos inside.
///
///     initial_secret = HKDF-Extract(salt, client's DCID)
///     secret = HKDF-Expand-Label(initial_secret, "client in" | "server in", "", 32)
///     key = HKDF-Expand-Label(secret, "quic key", "", 16), iv ("quic iv", 12), hp ("quic hp", 16)
///
/// QUIC v2 labels its keys "quicv2 key", "quicv2 iv" and "quicv2 hp" (RFC 9369 §3.3.2).
public struct QUICInitialKeys: Sendable, Equatable {
    public enum Sender: Sendable { case client, server }

    /// AEAD_AES_128_GCM key.
    public let key: [UInt8]
    public let iv: [UInt8]
    /// AES-128 header-protection key.
    public let headerProtection: [UInt8]

    public init(version: QUICVersion, destinationID: UnsafeRawBufferPointer, sender: Sender) {
        let initialSecret = HKDF<SHA256>.extract(
            inputKeyMaterial: SymmetricKey(data: destinationID),
            salt: version.salt
        )
        let secret = Self.expandLabel(initialSecret, sender == .client ? "client in" : "server in", length: 32)
        let prefix = version == .v2 ? "quicv2 " : "quic "
        key = Self.bytes(Self.expandLabel(secret, prefix + "key", length: 16))
        iv = Self.bytes(Self.expandLabel(secret, prefix + "iv", length: 12))
        headerProtection = Self.bytes(Self.expandLabel(secret, prefix + "hp", length: 16))
    }

    /// HKDF-Expand-Label with an empty context (RFC 8446 §7.1):
    /// `length 16 | label length 8 | "tls13 " + label | context length 8 (0)`.
    static func expandLabel(_ secret: some ContiguousBytes, _ label: String, length: Int) -> SymmetricKey {
        let fullLabel = Array("tls13 \(label)".utf8)
        let info = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)] + fullLabel + [0]
        return HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
    }

    static func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }
}

extension QUICVersion {
    var salt: [UInt8] {
        switch self {
        case .v1: Self.v1Salt
        case .v2: Self.v2Salt
        case .draft29: Self.draft29Salt
        }
    }

    private static let v1Salt: [UInt8] = [
        0x38, 0x76, 0x2C, 0xF7, 0xF5, 0x59, 0x34, 0xB3, 0x4D, 0x17, 0x9A, 0xE6, 0xA4, 0xC8, 0x0C, 0xAD, 0xCC, 0xBB,
        0x7F, 0x0A,
    ]
    private static let v2Salt: [UInt8] = [
        0x0D, 0xED, 0xE3, 0xDE, 0xF7, 0x00, 0xA6, 0xDB, 0x81, 0x93, 0x81, 0xBE, 0x6E, 0x26, 0x9D, 0xCB, 0xF9, 0xBD,
        0x2E, 0xD9,
    ]
    private static let draft29Salt: [UInt8] = [
        0xAF, 0xBF, 0xEC, 0x28, 0x99, 0x93, 0xD2, 0x4C, 0x9E, 0x97, 0x86, 0xF1, 0x9C, 0x61, 0x11, 0xE0, 0x43, 0x90,
        0xA8, 0x99,
    ]
}
