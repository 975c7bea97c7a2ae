import Dissect
import Wire

/// One direction of a WebSocket connection carrying SIP (RFC 7118), read from in-order TCP bytes:
/// the HTTP Upgrade message up to its blank line, then frames (RFC 6455 §5.2) whose headers and
/// payloads may split anywhere between segments. Data frames are unmasked into `message`, a
/// buffer reused between messages; a message longer than `messageCap` is skipped (malformed).
struct WebSocketReader: Sendable {
    /// Far above any SIP message (RFC 7118 keeps one message per WebSocket message).
    static let messageCap = 64 * 1024

    enum Phase: Sendable {
        /// Inside the HTTP handshake; how much of the closing CR LF CR LF has been seen.
        case handshake(matched: Int)
        case frames
        /// A frame header did not hold together: boundaries are lost for good.
        case lost
    }

    /// What reading a segment's bytes found.
    enum Event {
        /// A data message ended; its unmasked bytes are valid only during the callback.
        case message(UnsafeRawBufferPointer)
        /// A message too long to keep, or a broken frame header.
        case malformed
    }

    /// The direction opened with an Upgrade to WebSocket for SIP: its SIP framing is this reader's.
    var opened = false
    var phase = Phase.handshake(matched: 0)
    /// Header bytes of the next frame gathered so far (at most 14, capacity kept).
    var header: [UInt8] = []
    /// Payload bytes still to come of the current frame, with its mask and where in the mask we are.
    var frameRemaining = 0
    var maskingKey: UInt32 = 0
    var maskPhase = 0
    var frameIsData = false
    var frameEndsMessage = false
    var message: [UInt8] = []
    var overflow = false

    /// Reads in-order bytes, calling `handle` for each data message that ends in them.
    mutating func read(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) -> Void) {
        var input = ByteCursor(bytes)
        while input.remaining > 0 {
            switch phase {
            case .lost:
                return
            case .handshake(var matched):
                while matched < 4, let byte = try? input.read(UInt8.self) {
                    let wanted: UInt8 = matched & 1 == 0 ? 0x0D : 0x0A
                    matched = byte == wanted ? matched &+ 1 : (byte == 0x0D ? 1 : 0)
                }
                phase = matched == 4 ? .frames : .handshake(matched: matched)
            case .frames:
                if frameRemaining > 0 {
                    readPayload(&input)
                    if frameRemaining == 0 { endFrame(handle) }
                } else if readHeader(&input, handle), frameRemaining == 0 {
                    endFrame(handle)  // an empty frame
                }
            }
        }
    }

    /// Gathers header bytes; once complete, starts the frame. False while more bytes are needed.
    private mutating func readHeader(_ input: inout ByteCursor, _ handle: (Event) -> Void) -> Bool {
        while header.count < 2 || header.count < WebSocketFrameHeader.headerLength(secondByte: header[1]) {
            guard let byte = try? input.read(UInt8.self) else { return false }
            header.append(byte)
        }
        let parsed = header.withUnsafeBytes { raw -> WebSocketFrameHeader? in
            var cursor = ByteCursor(raw)
            return try? WebSocketFrameHeader(parsing: &cursor)
        }
        header.removeAll(keepingCapacity: true)
        guard let frame = parsed else {
            phase = .lost
            handle(.malformed)
            return false
        }
        frameRemaining = frame.payloadLength
        maskingKey = frame.maskingKey ?? 0
        maskPhase = 0
        frameIsData = frame.isData
        frameEndsMessage = frame.fin
        // Text or binary opens a message; a continuation (opcode 0) extends the open one.
        if frame.opcode == 1 || frame.opcode == 2 {
            message.removeAll(keepingCapacity: true)
            overflow = false
        }
        return true
    }

    /// Unmasks as much of the frame's payload as `input` holds into `message` (data frames only).
    private mutating func readPayload(_ input: inout ByteCursor) {
        let chunk = input.takeAtMost(frameRemaining)
        frameRemaining &-= chunk.remaining
        guard frameIsData, !overflow else { return }
        guard message.count &+ chunk.remaining <= Self.messageCap else {
            overflow = true
            return
        }
        var bytes = chunk
        while let byte = try? bytes.read(UInt8.self) {
            let keyByte = UInt8(truncatingIfNeeded: maskingKey >> UInt32(24 &- 8 &* maskPhase))
            message.append(byte ^ keyByte)
            maskPhase = (maskPhase &+ 1) & 3
        }
    }

    private mutating func endFrame(_ handle: (Event) -> Void) {
        guard frameIsData, frameEndsMessage else { return }
        if overflow {
            handle(.malformed)
        } else {
            message.withUnsafeBytes { handle(.message($0)) }
        }
        message.removeAll(keepingCapacity: true)
        overflow = false
    }
}
