import Dissect
import Flows
import Foundation
import Report
import Synchronization
import Wire

/// Up to `capacity` frames and their lines, cycling reader → decoder → renderer → reader (see
/// `PacketBatchRing`). The reader copies frames into the batch and decodes their headers (link to
/// transport: the segments, whose payloads point into the copies) while the bytes are still in its
/// cache, and starts each frame's line with what the headers say; the decoder analyses the
/// segments and adds what the payloads say to the lines, whose byte views then point into those
/// copies (or, for bytes that came from elsewhere, such as a reassembled TLS hello, into the
/// batch's spill arena); the renderer, with the decoder's help (`claimChunk`), reads the lines.
/// Everything is allocated once and reused, and all mutable state sits behind pointers or in
/// atomics: the class has only constants, so the hot path pays no dynamic exclusivity checks.
final class PacketBatch: @unchecked Sendable {
    /// Small enough that a batch (frame, segment and line: about 900 bytes a frame) fits in a
    /// core's L2 cache; 512 to 2,048 frames measured no faster.
    static let capacity = 256
    static let frameArenaSize = 1 << 20

    struct State {
        var count = 0
        /// The reader's last batch: nothing follows it.
        var isLast = false
        var frames: UnsafeMutableRawBufferPointer
        var framesUsed = 0
        var spill = ByteArena(chunkSize: 1 << 20)
        /// The transport segments of all frames, in frame order (most frames have one).
        var segments: UnsafeMutablePointer<DecodedSegment>
        var segmentCapacity: Int
        var segmentsUsed = 0
    }

    /// A segment with its flow key and direction (`FlowKey.directed`), worked out on the reading
    /// thread while the header is in its cache, so the decoding thread only looks the flow up.
    struct DecodedSegment {
        var segment: TransportSegment
        var flow: (key: FlowKey, forward: Bool)
    }

    let state: UnsafeMutablePointer<State>
    let metas: UnsafeMutablePointer<PacketMeta>
    /// By frame: where its segments lie in `State.segments`.
    let segmentRanges: UnsafeMutablePointer<Range<Int>>
    /// By frame: the reader fills in what the headers say (frame, time, endpoints, the protocols up
    /// to the transport, a terminal payload, a header cut short); the decoder adds what the
    /// payloads say.
    let lines: UnsafeMutablePointer<PacketLine>
    /// The text of the lines the decoder rendered (`claimChunk`): the batch's first ones, in order.
    let helperText: UnsafeMutablePointer<TextBuffer>
    /// How many chunks the decoder has claimed; `closedForHelp` once the renderer has the batch.
    private let claimedChunks = Atomic<Int>(PacketBatch.closedForHelp)
    /// How many of the claimed chunks the decoder has rendered.
    private let renderedChunks = Atomic<Int>(0)

    init() {
        state = .allocate(capacity: 1)
        state.initialize(
            to: State(
                frames: .allocate(byteCount: Self.frameArenaSize, alignment: 16),
                segments: .allocate(capacity: Self.capacity),
                segmentCapacity: Self.capacity
            )
        )
        metas = .allocate(capacity: Self.capacity)
        segmentRanges = .allocate(capacity: Self.capacity)  // plain values, each written before it is read
        lines = .allocate(capacity: Self.capacity)
        lines.initialize(repeating: PacketLine(frame: 0, time: Timestamp(nanoseconds: 0)), count: Self.capacity)
        helperText = .allocate(capacity: 1)
        helperText.initialize(to: TextBuffer(capacity: 1 << 16))
    }

    deinit {
        state.pointee.frames.deallocate()
        state.pointee.spill.deallocate()
        state.pointee.segments.deallocate()  // plain values: nothing to deinitialize
        state.deinitialize(count: 1)
        state.deallocate()
        metas.deallocate()
        segmentRanges.deallocate()
        lines.deinitialize(count: Self.capacity)
        lines.deallocate()
        helperText.deinitialize(count: 1)
        helperText.deallocate()
    }

    var count: Int { state.pointee.count }
    var isLast: Bool { state.pointee.isLast }

    // MARK: reader

    /// The reader's handle on a batch: the same pointers, copied without reference counting, so
    /// taking in a frame costs no retain or release.
    var filler: Filler { Filler(state: state, metas: metas, segmentRanges: segmentRanges, lines: lines) }

    struct Filler {
        let state: UnsafeMutablePointer<State>
        let metas: UnsafeMutablePointer<PacketMeta>
        let segmentRanges: UnsafeMutablePointer<Range<Int>>
        let lines: UnsafeMutablePointer<PacketLine>

        func reset() {
            state.pointee.count = 0
            state.pointee.isLast = false
            state.pointee.framesUsed = 0
            state.pointee.segmentsUsed = 0
            state.pointee.spill.reset()
        }

        func markLast() { state.pointee.isLast = true }

        /// Copies a frame in and decodes its headers, keeping its segments for the decoder; false
        /// when the batch is full (hand it over and start the next one).
        @inline(__always)
        func add(_ meta: PacketMeta, _ bytes: UnsafeRawBufferPointer, decoder: inout FrameDecoder) -> Bool {
            let count = state.pointee.count
            let start = state.pointee.framesUsed
            if count == PacketBatch.capacity || start &+ bytes.count > state.pointee.frames.count {
                guard count == 0 else { return false }
                growFrames(to: bytes.count)  // a single frame larger than the arena
            }
            guard let frames = state.pointee.frames.baseAddress else { return false }
            let frame = UnsafeMutableRawBufferPointer(start: frames + start, count: bytes.count)
            if let source = bytes.baseAddress { frame.baseAddress?.copyMemory(from: source, byteCount: bytes.count) }
            metas[count] = meta
            state.pointee.framesUsed = start &+ bytes.count
            state.pointee.count = count &+ 1

            let malformedBefore = decoder.counters.malformed
            let firstSegment = state.pointee.segmentsUsed
            decoder.decode(UnsafeRawBufferPointer(frame), at: meta.timestamp) { segment in keep(segment) }
            let segments = firstSegment..<state.pointee.segmentsUsed
            segmentRanges[count] = segments
            startLine(lines + count, meta, segments, decoder, malformed: decoder.counters.malformed != malformedBefore)
            return true
        }

        /// The line's fields the headers decide, written here, where they are in the cache, rather
        /// than on the analysing core. Its endpoints are those of the last segment outside an ICMP
        /// quote (the innermost tunnelled packet), or the terminal payload's when there is none.
        @inline(__always)
        private func startLine(
            _ line: UnsafeMutablePointer<PacketLine>,
            _ meta: PacketMeta,
            _ segments: Range<Int>,
            _ decoder: FrameDecoder,
            malformed: Bool
        ) {
            line.pointee.start(frame: meta.frame, time: meta.timestamp)
            line.pointee.protocols = decoder.trail
            line.pointee.malformed = malformed
            var payloadNoted = false
            for k in segments {
                let segment = state.pointee.segments + k
                guard !segment.pointee.segment.insideICMPError else { continue }
                line.pointee.noteEndpoints(of: segment.pointee.segment)
                if !payloadNoted {
                    line.pointee.payload = segment.pointee.segment.payload
                    payloadNoted = true
                }
            }
            if !payloadNoted, let terminal = decoder.terminal {
                line.pointee.source = terminal.source
                line.pointee.destination = terminal.destination
                line.pointee.terminal = terminal
            }
        }

        private func growFrames(to size: Int) {
            state.pointee.frames.deallocate()
            state.pointee.frames = .allocate(byteCount: size, alignment: 16)
        }

        private func keep(_ segment: TransportSegment) {
            let used = state.pointee.segmentsUsed
            if used == state.pointee.segmentCapacity {
                let larger = UnsafeMutablePointer<DecodedSegment>.allocate(capacity: used &* 2)
                larger.moveInitialize(from: state.pointee.segments, count: used)
                state.pointee.segments.deallocate()
                state.pointee.segments = larger
                state.pointee.segmentCapacity = used &* 2
            }
            let flow = FlowKey.directed(segment.transport, from: segment.source, to: segment.destination)
            (state.pointee.segments + used).initialize(to: DecodedSegment(segment: segment, flow: flow))
            state.pointee.segmentsUsed = used &+ 1
        }
    }

    // MARK: decoder

    /// Frame `i`'s segments; their payloads stay valid while the batch holds the frame.
    func segments(of i: Int) -> UnsafeBufferPointer<DecodedSegment> {
        let range = segmentRanges[i]
        return UnsafeBufferPointer(start: state.pointee.segments + range.lowerBound, count: range.count)
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

    // MARK: the decoder helping the renderer

    /// Lines the decoder renders at a time when it has nothing to decode. Small enough that the
    /// renderer seldom waits for a chunk in progress; large enough that claiming costs nothing.
    static let chunkSize = 16
    private static let closedForHelp = 1 << 40

    /// Decoder, before passing the batch on: lets it claim chunks of the batch's lines.
    func openForHelp() {
        renderedChunks.store(0, ordering: .relaxed)
        claimedChunks.store(0, ordering: .relaxed)  // published by the ring's hand-over
    }

    /// Decoder: the next chunk of lines to render into `helperText`, or nil once the renderer has
    /// closed the batch or every line is claimed. `count` is the batch's, read before passing it on.
    func claimChunk(of count: Int) -> Range<Int>? {
        let chunk = claimedChunks.add(1, ordering: .acquiringAndReleasing).oldValue
        let start = chunk &* Self.chunkSize
        guard start < count else { return nil }
        return start..<Swift.min(start &+ Self.chunkSize, count)
    }

    /// Decoder: the chunk it claimed last is in `helperText`.
    func finishChunk() { renderedChunks.add(1, ordering: .releasing) }

    /// Renderer: stops the decoder's claims and waits for the chunk it may be rendering. Returns how
    /// many of the batch's first lines are in `helperText` already.
    func closeForHelp() -> Int {
        let count = state.pointee.count
        let previous = claimedChunks.exchange(Self.closedForHelp, ordering: .acquiringAndReleasing)
        // Never opened (no helper) or already closed: no chunk is the decoder's.
        guard previous < Self.closedForHelp else { return 0 }
        // A claim past the last line fails but still counts.
        let claimed = Swift.min(previous, (count &+ Self.chunkSize &- 1) / Self.chunkSize)
        // At most one chunk (a few microseconds) is in progress, unless its thread was preempted.
        var spins = 0
        while renderedChunks.load(ordering: .acquiring) < claimed {
            spins &+= 1
            if spins > 1_000 { sched_yield() }
        }
        return Swift.min(claimed &* Self.chunkSize, count)
    }
}
