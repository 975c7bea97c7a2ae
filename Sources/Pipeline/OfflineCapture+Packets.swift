import Capture
import Dissect
import Flows
import Foundation
import Report
import Wire

extension OfflineCapture {
    public struct PacketScan {
        public var counters: DecodeCounters
        public var analyzer: PacketAnalyzer
        public var truncation: CaptureError?
    }

    /// Decodes every frame down to its payload protocols and hands one `PacketLine` per frame to
    /// `body`, in frame order; the line's byte views are valid only during that call. Packets
    /// quoted by ICMP errors are decoded too (as Wireshark does), but never change flow state.
    public func packets(_ body: (inout PacketLine) -> Void) throws(CaptureError) -> PacketScan {
        try withoutActuallyEscaping(body) { body throws(CaptureError) in
            try scan(reader: LineVisitor(body: body), helper: nil) { _ in }
        }
    }

    /// Renders every frame's line to text with copies of `renderer`, in frame order, and hands the
    /// text to `output` in pieces of about 64 KiB. Both threads render (see `scan`).
    public func packets<Renderer: PacketLineRenderer & Sendable>(
        rendering renderer: Renderer,
        output: (UnsafeRawBufferPointer) -> Void
    ) throws(CaptureError) -> PacketScan {
        try scan(reader: renderer, helper: renderer, output: output)
    }

    /// Two threads share the work, a batch of frames at a time (`PacketBatchRing`): this one reads
    /// frames (libpcap), decodes their headers, starts their lines and, between batches, renders
    /// the lines of batches already analysed; the other analyses payloads, the one stage that must
    /// see every packet in order, and, when it has nothing to analyse, renders the first lines of
    /// the batch it analysed last (with `helper`), while they are still in its cache. So the two
    /// threads share the rendering as their loads require, and no third thread competes for two
    /// cores: each wake-up of a sleeping thread costs tens of microseconds on a virtual machine.
    private func scan<Renderer: PacketLineRenderer>(
        reader renderer: Renderer,
        helper: Renderer?,
        output: (UnsafeRawBufferPointer) -> Void
    ) throws(CaptureError) -> PacketScan {
        let ring = PacketBatchRing()
        let decoder = BatchDecoder(link: link, ring: ring, helper: helper)
        let thread = Thread(block: decoder.run)
        thread.stackSize = 8 << 20
        thread.start()
        var reader = ReadingAndRendering(file: file, link: link, ring: ring, renderer: renderer)
        reader.run(output: output)
        // The decoder stored its result before passing its last batch on.
        guard var scan = decoder.scan else { preconditionFailure("the decoding thread ended without a result") }
        scan.counters.add(reader.counters)
        if let failure = reader.failure {
            guard failure.code == .truncated else { throw failure }
            scan.truncation = failure
        }
        return scan
    }
}

/// Hands each line to a closure and writes no text: `packets(_:)`.
private struct LineVisitor: PacketLineRenderer {
    let body: (inout PacketLine) -> Void
    func begin(firstFrameTime: Timestamp) {}
    func render(_ line: inout PacketLine, into text: inout TextBuffer) { body(&line) }
}

/// Turns one frame's decoded headers into its `PacketLine`: the payload analysis of each segment,
/// tunnels and ICMP quotes included.
private struct FrameLineDecoder {
    /// Decodes the packets lifted out of tunnels (IP-HTTPS) after their frame's analysis; the
    /// frames themselves were decoded on the reading thread.
    var tunnels: FrameDecoder
    var analyzer = PacketAnalyzer()
    /// Reused for a frame's later segments and for ICMP quotes.
    private var scratch = PacketAnalysis()

    init(link: LinkLayer) {
        tunnels = FrameDecoder(link: link)
        tunnels.followsICMPQuotes = true
    }

    /// Adds what the payloads say to a line the reader started (`PacketBatch.Filler`). Returns
    /// whether the line holds packets lifted out of a tunnel, whose bytes lie in the analyzer, not
    /// in the batch's frames.
    mutating func decode(
        _ segments: UnsafeBufferPointer<PacketBatch.DecodedSegment>,
        _ meta: PacketMeta,
        into line: inout PacketLine
    ) -> Bool {
        var analysed = false
        var extra = LayerTrail()
        var quotedApps = LayerTrail()
        // Segments are read in place (`pointee`), not copied out of the batch one by one.
        if let first = segments.baseAddress {
            for k in 0..<segments.count {
                let decoded = first + k
                if decoded.pointee.segment.insideICMPError {
                    analyzer.analyzeQuoted(decoded.pointee.segment, into: &scratch)
                    for i in 0..<scratch.protocols.count { quotedApps.append(scratch.protocols[i]) }
                    if scratch.malformed != nil { line.malformed = true }
                    continue
                }
                if analysed {
                    analyzer.analyze(
                        decoded.pointee.segment,
                        flow: decoded.pointee.flow,
                        frame: meta.frame,
                        time: meta.timestamp,
                        into: &scratch
                    )
                    Self.adopt(decoded.pointee.segment, scratch, into: &line, extra: &extra)
                    continue
                }
                // The first segment's analysis is written straight into the line.
                analyzer.analyze(
                    decoded.pointee.segment,
                    flow: decoded.pointee.flow,
                    frame: meta.frame,
                    time: meta.timestamp,
                    into: &line.analysis
                )
                analysed = true
                if line.analysis.malformed != nil { line.malformed = true }
                extra = line.analysis.protocols  // empty until now: later segments only add to it
            }
        }
        // Packets lifted out of tunnels (IP-HTTPS) in this frame; the trail becomes theirs.
        let malformedLifted = tunnels.counters.malformed
        let lifted = analyzer.hasLiftedPackets && decodeLifted(meta, &line, &extra)
        if !analysed { line.analysis.reset() }
        if tunnels.counters.malformed != malformedLifted { line.malformed = true }
        if lifted { line.protocols = tunnels.trail }
        line.protocols.appendMissing(extra)
        if quotedApps.count > 0 { line.protocols.appendMissing(quotedApps) }
        return lifted
    }

    /// The packets lifted out of tunnels in this frame; they say more than the tunnel's segment.
    private mutating func decodeLifted(
        _ meta: PacketMeta,
        _ line: inout PacketLine,
        _ extra: inout LayerTrail
    ) -> Bool {
        tunnels.decodeTunnelled(by: &analyzer, frame: meta.frame, time: meta.timestamp) { segment, analysis, _ in
            Self.adopt(segment, analysis, into: &line, extra: &extra)
            line.noteEndpoints(of: segment)
        }
    }

    /// A frame's later segments (tunnels) replace the line's analysis when they say more. Their
    /// endpoints are the reader's already.
    private static func adopt(
        _ segment: TransportSegment,
        _ analysis: PacketAnalysis,
        into line: inout PacketLine,
        extra: inout LayerTrail
    ) {
        if analysis.malformed != nil { line.malformed = true }
        if analysis.protocols.count > 0 {
            line.analysis.assign(analysis)
            line.payload = segment.payload
        }
        for i in 0..<analysis.protocols.count { extra.append(analysis.protocols[i]) }
    }
}

/// The reading and rendering stage of `packets`, on the calling thread: copies frames into
/// batches and decodes their headers there, while the bytes are in this core's cache, and renders
/// the batches the decoder has finished whenever it has one. A read error ends the file early: it
/// is kept in `failure`.
private struct ReadingAndRendering<Renderer: PacketLineRenderer> {
    private let file: PcapFile
    private let link: LinkLayer
    private let ring: PacketBatchRing
    private var renderer: Renderer
    private var text = TextBuffer(capacity: 1 << 17)
    private(set) var failure: CaptureError?
    private(set) var counters = DecodeCounters()
    private var readSequence = 0
    private var renderSequence = 0

    init(file: PcapFile, link: LinkLayer, ring: PacketBatchRing, renderer: Renderer) {
        self.file = file
        self.link = link
        self.ring = ring
        self.renderer = renderer
    }

    mutating func run(output: (UnsafeRawBufferPointer) -> Void) {
        var decoder = FrameDecoder(link: link)
        decoder.followsICMPQuotes = true  // as Wireshark does
        var batch = nextEmptyBatch(output)
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in
                if !batch.add(meta, bytes, decoder: &decoder) {
                    ring.pass(from: .read)
                    readSequence &+= 1
                    renderFinished(output)
                    batch = nextEmptyBatch(output)
                    _ = batch.add(meta, bytes, decoder: &decoder)  // an empty batch takes any frame
                }
            }
        } catch {
            failure = error
        }
        counters = decoder.counters
        batch.markLast()
        ring.pass(from: .read, isLast: true)
        while !renderNext(output) {}
        text.withBytes(output)
    }

    /// An emptied batch to read into; while none is free, renders (waiting for the decoder).
    private mutating func nextEmptyBatch(_ output: (UnsafeRawBufferPointer) -> Void) -> PacketBatch.Filler {
        while true {
            if let batch = ring.poll(readSequence, for: .read) {
                let filler = batch.filler
                filler.reset()
                return filler
            }
            _ = renderNext(output)
        }
    }

    /// Renders every batch the decoder has passed on so far, without waiting.
    private mutating func renderFinished(_ output: (UnsafeRawBufferPointer) -> Void) {
        while let batch = ring.poll(renderSequence, for: .render) { _ = render(batch, output) }
    }

    /// Waits for the next analysed batch and renders it; returns whether it was the last.
    private mutating func renderNext(_ output: (UnsafeRawBufferPointer) -> Void) -> Bool {
        render(ring.take(renderSequence, for: .render), output)
    }

    /// Appends the text of the lines the decoder rendered, then renders the others.
    private mutating func render(_ batch: PacketBatch, _ output: (UnsafeRawBufferPointer) -> Void) -> Bool {
        if renderSequence == 0, batch.count > 0 { renderer.begin(firstFrameTime: batch.metas[0].timestamp) }
        let helped = batch.closeForHelp()
        if helped > 0 {
            batch.helperText.pointee.withBytes { text.append(raw: $0) }
            batch.helperText.pointee.removeAll()
        }
        for i in helped..<batch.count { renderer.render(&batch.lines[i], into: &text) }
        if text.count >= 1 << 16 {
            text.withBytes(output)
            text.removeAll()
        }
        let last = batch.isLast
        ring.pass(from: .render, isLast: last)
        renderSequence &+= 1
        return last
    }
}

/// The decoding stage of `packets`: adds what the payloads say to every frame's line, and renders
/// the first lines of a batch it passed on while it has nothing to decode (with `helper`, if any).
/// `scan` is written before the last batch is passed on.
private final class BatchDecoder<Renderer: PacketLineRenderer>: @unchecked Sendable {
    private let link: LinkLayer
    private let ring: PacketBatchRing
    /// Only this thread uses it once it starts; `packets` hands over a copy of a `Sendable` one.
    private var helper: Renderer?
    private(set) var scan: OfflineCapture.PacketScan?

    init(link: LinkLayer, ring: PacketBatchRing, helper: Renderer?) {
        self.link = link
        self.ring = ring
        self.helper = helper
    }

    @Sendable func run() {
        var frames = FrameLineDecoder(link: link)
        var helper = self.helper
        var sequence = 0
        while true {
            let batch = ring.take(sequence, for: .decode)
            let count = batch.count
            warm(batch)
            for i in 0..<count { decode(i, of: batch, with: &frames) }
            let last = batch.isLast
            if last {
                scan = OfflineCapture.PacketScan(
                    counters: frames.tunnels.counters,
                    analyzer: frames.analyzer,
                    truncation: nil
                )
            }
            // Read before passing the batch on: from then on the renderer may refill it.
            if sequence == 0, count > 0 { helper?.begin(firstFrameTime: batch.metas[0].timestamp) }
            if helper != nil { batch.openForHelp() }
            ring.pass(from: .decode, isLast: last)
            if last { return }
            if helper != nil { help(render: batch, count: count, with: &helper) }
            sequence &+= 1
        }
    }

    /// What `warm` read, kept so its loads are not optimised away.
    private var warmth = 0

    /// Before a batch is analysed: reads the first byte of each segment's payload in a loop of
    /// independent loads. The payloads were written on the other core; analysed packet by packet,
    /// each of those cache misses stalls its packet, while here they overlap.
    private func warm(_ batch: PacketBatch) {
        let segments = batch.state.pointee.segments
        var sum = 0
        for i in 0..<batch.state.pointee.segmentsUsed {
            if let first = (segments + i).pointee.segment.payload.first { sum &+= Int(first) }
        }
        warmth &+= sum
    }

    /// Renders chunks of the batch's first lines until there is a batch to decode, the renderer
    /// takes the batch over, or every line is claimed.
    private func help(render batch: PacketBatch, count: Int, with helper: inout Renderer?) {
        while ring.isEmpty(.decode), let chunk = batch.claimChunk(of: count) {
            for i in chunk { helper?.render(&batch.lines[i], into: &batch.helperText.pointee) }
            batch.finishChunk()
        }
    }

    private func decode(_ i: Int, of batch: PacketBatch, with frames: inout FrameLineDecoder) {
        let lifted = frames.decode(batch.segments(of: i), batch.metas[i], into: &batch.lines[i])
        let analysis = (
            hello: batch.lines[i].analysis.tlsHelloLocation, sip: batch.lines[i].analysis.sipLocation
        )
        guard analysis.hello == .reassembled || analysis.sip == .reassembled else {
            // Other lines see only the batch's frames, which live as long as the line.
            if lifted { batch.keepBytes(ofLine: i) }
            return
        }
        // Messages reassembled across segments live in the analyzer until its next packet.
        frames.analyzer.reassembledHello.withUnsafeBytes { hello in
            frames.analyzer.reassembledSIP.withUnsafeBytes { sip in
                if analysis.hello == .reassembled { batch.lines[i].reassembledHello = hello }
                if analysis.sip == .reassembled { batch.lines[i].reassembledSIP = sip }
                batch.keepBytes(ofLine: i)
            }
        }
    }
}
