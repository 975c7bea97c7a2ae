import Dissect
import Wire

/// One direction of an IP-HTTPS stream's clear text (NULL-cipher record plaintext), cut into the
/// IPv6 packets it carries. The HTTP request or response that opens the direction is skipped up to
/// its blank line; then each packet is 40 bytes of IPv6 header plus its payload length. A packet
/// that continues in the next record waits in a small carry buffer; one larger than the buffer is
/// skipped (counted), and bytes that are not IPv6 end the reading for this direction.
struct IPHTTPSReader: Sendable {
    /// Larger than IP-HTTPS's 1280-byte link MTU with room to spare; bigger packets are skipped.
    static let carryCapacity = 4096

    enum Phase: Sendable {
        /// Nothing read yet: an HTTP message or packets may follow.
        case start
        /// Inside HTTP headers; how much of the closing CR LF CR LF has been seen.
        case headers(matched: Int)
        case packets
        /// Lost the packet boundaries: stop.
        case lost
    }

    var phase = Phase.start
    var carry: [UInt8] = []
    /// Bytes still to pass over of a packet too large to carry.
    var skipping = 0
    private(set) var skippedPackets = 0

    /// Reads `bytes`, calling `emit` with each complete IPv6 packet (valid only during the call).
    /// Returns false when the bytes stopped looking like IPv6 packets.
    mutating func read(_ bytes: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var input = ByteCursor(bytes)
        while input.remaining > 0 {
            switch phase {
            case .lost:
                return true
            case .start:
                phase = input.hasPrefix("POST ") || input.hasPrefix("HTTP/") ? .headers(matched: 0) : .packets
            case .headers(var matched):
                while matched < 4, let byte = try? input.read(UInt8.self) {
                    let wanted: UInt8 = matched & 1 == 0 ? 0x0D : 0x0A
                    matched = byte == wanted ? matched &+ 1 : (byte == 0x0D ? 1 : 0)
                }
                phase = matched == 4 ? .packets : .headers(matched: matched)
            case .packets:
                if skipping > 0 {
                    let passed = input.takeAtMost(skipping)
                    skipping &-= passed.remaining
                    continue
                }
                if carry.isEmpty, let length = Self.packetLength(input), length <= input.remaining {
                    guard let packet = try? input.take(length) else { return false }
                    emit(packet.bytes)
                    continue
                }
                guard readCarried(&input, emit) else {
                    phase = .lost
                    carry.removeAll(keepingCapacity: true)
                    return false
                }
            }
        }
        return true
    }

    /// Adds bytes to a packet spread over records; false when its header is not IPv6.
    private mutating func readCarried(_ input: inout ByteCursor, _ emit: (UnsafeRawBufferPointer) -> Void) -> Bool {
        if carry.count < 6 {
            carry.append(contentsOf: input.takeAtMost(6 &- carry.count).bytes)
            if carry.count < 6 { return true }
        }
        guard let length = carry.withUnsafeBytes({ Self.packetLength(ByteCursor($0)) }) else { return false }
        if length > Self.carryCapacity {
            skipping = length &- carry.count
            skippedPackets &+= 1
            carry.removeAll(keepingCapacity: true)
            return true
        }
        carry.append(contentsOf: input.takeAtMost(length &- carry.count).bytes)
        if carry.count == length {
            carry.withUnsafeBytes { emit($0) }
            carry.removeAll(keepingCapacity: true)
        }
        return true
    }

    /// The whole length of the IPv6 packet starting at `input`, from its payload length field.
    static func packetLength(_ input: ByteCursor) -> Int? {
        guard let first = try? input.peek(UInt8.self), first >> 4 == 6,
            let payloadLength = try? input.peek(UInt16.self, at: 4)
        else { return nil }
        return 40 &+ Int(payloadLength)
    }
}
