import Crypto
import Foundation
import Wire
import _CryptoExtras

/// Opens Initial packets (RFC 9001 §5.3–5.4): removes header protection with the AES-ECB mask of
/// a 16-byte sample of the ciphertext, then decrypts and authenticates the payload with
/// AES-128-GCM. One opener serves every packet: its buffers are reused.
public struct QUICInitialOpener: Sendable {
    /// The last opened packet's header with its protection removed (packet number included): the
    /// associated data the payload was authenticated with.
    public private(set) var unprotectedHeader: [UInt8] = []
    /// The last opened packet's frames.
    public private(set) var plaintext: [UInt8] = []
    private var mask: [UInt8] = []
    private var nonce: [UInt8] = []

    public static let tagLength = 16

    public init() {}

    /// Opens the packet `header` describes in `datagram`; false when it is too short to carry a
    /// sample and a tag, or does not authenticate with `keys` — then it is not what it seemed.
    public mutating func open(_ datagram: UnsafeRawBufferPointer, _ header: QUICLongHeader, keys: QUICInitialKeys)
        -> Bool
    {
        let numberStart = header.packetNumberOffset
        let end = header.end
        // The sample starts 4 bytes past the packet number's start, whatever its length (§5.4.2);
        // a packet long enough for it also holds the longest packet number and the tag.
        guard header.type != .retry, keys.iv.count == 12, numberStart >= 1, numberStart &+ 20 <= end,
            end <= datagram.count,
            Self.headerProtectionMask(
                UnsafeRawBufferPointer(rebasing: datagram[(numberStart &+ 4)..<(numberStart &+ 20)]),
                key: keys.headerProtection,
                into: &mask
            )
        else { return false }
        let first = datagram[0] ^ (mask[0] & 0x0F)  // long header: the low 4 bits are protected
        let numberLength = Int(first & 3) &+ 1
        let payloadStart = numberStart &+ numberLength
        unprotectedHeader.removeAll(keepingCapacity: true)
        unprotectedHeader.append(contentsOf: UnsafeRawBufferPointer(rebasing: datagram[..<payloadStart]))
        unprotectedHeader[0] = first
        var packetNumber: UInt64 = 0
        for i in 0..<numberLength {
            unprotectedHeader[numberStart &+ i] ^= mask[1 &+ i]
            packetNumber = packetNumber << 8 | UInt64(unprotectedHeader[numberStart &+ i])
        }
        // The nonce is the IV XOR the packet number (§5.3). Senders encode at least twice the
        // unacknowledged range (RFC 9000 §17.1), so before any acknowledgement — the Initial
        // packets that carry the hellos — the encoded number is the whole one.
        nonce.removeAll(keepingCapacity: true)
        nonce.append(contentsOf: keys.iv)
        for i in 0..<8 { nonce[11 &- i] ^= UInt8(truncatingIfNeeded: packetNumber >> UInt64(i &* 8)) }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: nonce),
                ciphertext: UnsafeRawBufferPointer(rebasing: datagram[payloadStart..<(end &- Self.tagLength)]),
                tag: UnsafeRawBufferPointer(rebasing: datagram[(end &- Self.tagLength)..<end])
            )
            let opened = try AES.GCM.open(box, using: SymmetricKey(data: keys.key), authenticating: unprotectedHeader)
            plaintext.removeAll(keepingCapacity: true)
            plaintext.append(contentsOf: opened)
            return true
        } catch {
            return false
        }
    }

    /// AES-ECB(hp, sample) (§5.4.3), written into `mask`; false unless the sample has 16 bytes.
    public static func headerProtectionMask(_ sample: UnsafeRawBufferPointer, key: [UInt8], into mask: inout [UInt8])
        -> Bool
    {
        guard sample.count == 16 else { return false }
        mask.removeAll(keepingCapacity: true)
        mask.append(contentsOf: sample)
        return (try? AES.permute(&mask, key: SymmetricKey(data: key))) != nil
    }
}
