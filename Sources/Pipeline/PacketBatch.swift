import Report
import Wire

/// Up to `capacity` frames and their lines, cycling reader → decoder → renderer → reader (see
/// `PacketBatchRing`). The reader copies frames into the batch; the decoder writes each frame's
/// line into its slot, whose byte views then point into those copies (or, for bytes that came
/// from elsewhere, such as a reassembled TLS hello, into the batch's spill arena); the renderer
/// reads the lines. Everything is allocated once and reused, and all mutable state sits behind
/// pointers: the class has only constants, so the hot path pays no dynamic exclusivity checks.
final class PacketBatch: @unchecked Sendable {
    static let capacity = 1024
    static let frameArenaSize = 1 << 22

    struct State {
        var count = 0
        /// The reader's last batch: nothing follows it.
        var isLast = false
        var frames: UnsafeMutableRawBufferPointer
        var framesUsed = 0
        var spill = ByteArena(chunkSize: 1 << 20)
    }

    let state: UnsafeMutablePointer<State>
    let metas: UnsafeMutablePointer<PacketMeta>
    /// Where frame `i` lies in `state.frames`.
    let frameRanges: UnsafeMutablePointer<Range<Int>>
    let lines: UnsafeMutablePointer<PacketLine>

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State(frames: .allocate(byteCount: Self.frameArenaSize, alignment: 16)))
        metas = .allocate(capacity: Self.capacity)
        frameRanges = .allocate(capacity: Self.capacity)
        lines = .allocate(capacity: Self.capacity)
        lines.initialize(repeating: PacketLine(frame: 0, time: Timestamp(nanoseconds: 0)), count: Self.capacity)
    }

    deinit {
        state.pointee.frames.deallocate()
        state.pointee.spill.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        metas.deallocate()
        frameRanges.deallocate()
        lines.deinitialize(count: Self.capacity)
        lines.deallocate()
    }

    var count: Int { state.pointee.count }
    var isLast: Bool { state.pointee.isLast }

    // MARK: reader

    func reset() {
        state.pointee.count = 0
        state.pointee.isLast = false
        state.pointee.framesUsed = 0
        state.pointee.spill.reset()
    }

    func markLast() { state.pointee.isLast = true }

    /// Copies a frame in; false when the batch is full (hand it over and start the next one).
    func add(_ meta: PacketMeta, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = state.pointee.count
        let start = state.pointee.framesUsed
        if count == Self.capacity || start &+ bytes.count > state.pointee.frames.count {
            guard count == 0 else { return false }
            growFrames(to: bytes.count)  // a single frame larger than the arena
        }
        if let source = bytes.baseAddress, let frames = state.pointee.frames.baseAddress {
            (frames + start).copyMemory(from: source, byteCount: bytes.count)
        }
        metas[count] = meta
        frameRanges[count] = start..<(start &+ bytes.count)
        state.pointee.framesUsed = start &+ bytes.count
        state.pointee.count = count &+ 1
        return true
    }

    private func growFrames(to size: Int) {
        state.pointee.frames.deallocate()
        state.pointee.frames = .allocate(byteCount: size, alignment: 16)
    }

    // MARK: decoder

    func frame(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(state.pointee.frames)[frameRanges[i]])
    }

    /// Makes line `i` independent of anything but this batch: views into the batch's frames stay,
    /// others (bytes the decoder reassembled or unwrapped) are copied into the spill arena.
    func keepBytes(ofLine i: Int) {
        let frames = UnsafeRawBufferPointer(state.pointee.frames)
        lines[i].keepBytes { view in
            guard let base = view.baseAddress, let framesBase = frames.baseAddress else { return view }
            if base >= framesBase, base + view.count <= framesBase + frames.count { return view }
            return state.pointee.spill.copy(view)
        }
    }
}
