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
    ///
    /// Two threads share the work, a batch of frames at a time (`PacketBatchRing`): this one reads
    /// frames (libpcap), decodes their headers and, between batches, renders the lines (`body`) of
    /// batches already analysed; the other analyses payloads, the one stage that must see every
    /// packet in order. Reading plus rendering costs about what analysing does, so on two cores
    /// both stay busy, and no third thread competes for them: each wake-up of a sleeping thread
    /// costs tens of microseconds on a virtual machine.
    public func packets(_ body: (inout PacketLine) -> Void) throws(CaptureError) -> PacketScan {
        let ring = PacketBatchRing()
        let decoder = BatchDecoder(link: link, ring: ring)
        let thread = Thread(block: decoder.run)
        thread.stackSize = 8 << 20
        thread.start()
        var reader = ReadingAndRendering(file: file, link: link, ring: ring)
        reader.run(rendering: body)
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

    /// Returns whether the line holds packets lifted out of a tunnel, whose bytes lie in the
    /// analyzer, not in the batch's frames.
    mutating func decode(
        _ frame: UnsafePointer<PacketBatch.DecodedFrame>,
        _ segments: UnsafeBufferPointer<PacketBatch.DecodedSegment>,
        _ terminalSlot: UnsafePointer<TerminalPayload>,
        _ meta: PacketMeta,
        into line: inout PacketLine
    ) -> Bool {
        line.start(frame: meta.frame, time: meta.timestamp)
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
                    line.malformed = line.malformed || scratch.malformed != nil
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
                line.malformed = line.malformed || line.analysis.malformed != nil
                line.payload = decoded.pointee.segment.payload
                extra = line.analysis.protocols  // empty until now: later segments only add to it
                Self.noteEndpoints(decoded.pointee.segment, in: &line)
            }
        }
        // Packets lifted out of tunnels (IP-HTTPS) in this frame; the trail becomes theirs.
        let malformedLifted = tunnels.counters.malformed
        let lifted = analyzer.hasLiftedPackets && decodeLifted(meta, &line, &extra)
        if !analysed { line.analysis.reset() }
        // A header the frame decoder could not read (cut short, impossible lengths) marks the line too.
        line.malformed = line.malformed || frame.pointee.malformed || tunnels.counters.malformed != malformedLifted
        line.protocols = lifted ? tunnels.trail : frame.pointee.trail
        line.protocols.appendMissing(extra)
        if quotedApps.count > 0 { line.protocols.appendMissing(quotedApps) }
        if line.source == nil,
            let terminal = lifted ? tunnels.terminal : frame.pointee.endsInTerminal ? terminalSlot.pointee : nil
        {
            line.source = terminal.source
            line.destination = terminal.destination
            line.terminal = terminal
        }
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
        }
    }

    private static func noteEndpoints(_ segment: TransportSegment, in line: inout PacketLine) {
        line.source = segment.source.address
        line.destination = segment.destination.address
        line.sourcePort = segment.source.port
        line.destinationPort = segment.destination.port
        line.transport = segment.transport
    }

    /// A frame's later segments (tunnels) replace the line's analysis when they say more.
    private static func adopt(
        _ segment: TransportSegment,
        _ analysis: PacketAnalysis,
        into line: inout PacketLine,
        extra: inout LayerTrail
    ) {
        line.malformed = line.malformed || analysis.malformed != nil
        if analysis.protocols.count > 0 {
            line.analysis.assign(analysis)
            line.payload = segment.payload
        }
        for i in 0..<analysis.protocols.count { extra.append(analysis.protocols[i]) }
        noteEndpoints(segment, in: &line)
    }
}

/// The reading and rendering stage of `packets`, on the calling thread: copies frames into
/// batches and decodes their headers there, while the bytes are in this core's cache, and renders
/// the batches the decoder has finished whenever it has one. A read error ends the file early: it
/// is kept in `failure`.
private struct ReadingAndRendering {
    private let file: PcapFile
    private let link: LinkLayer
    private let ring: PacketBatchRing
    private(set) var failure: CaptureError?
    private(set) var counters = DecodeCounters()
    private var readSequence = 0
    private var renderSequence = 0

    init(file: PcapFile, link: LinkLayer, ring: PacketBatchRing) {
        self.file = file
        self.link = link
        self.ring = ring
    }

    mutating func run(rendering render: (inout PacketLine) -> Void) {
        var decoder = FrameDecoder(link: link)
        decoder.followsICMPQuotes = true  // as Wireshark does
        var batch = nextEmptyBatch(render)
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in
                if !batch.add(meta, bytes, decoder: &decoder) {
                    ring.pass(from: .read)
                    readSequence &+= 1
                    renderFinished(render)
                    batch = nextEmptyBatch(render)
                    _ = batch.add(meta, bytes, decoder: &decoder)  // an empty batch takes any frame
                }
            }
        } catch {
            failure = error
        }
        counters = decoder.counters
        batch.markLast()
        ring.pass(from: .read, isLast: true)
        while !renderNext(render) {}
    }

    /// An emptied batch to read into; while none is free, renders (waiting for the decoder).
    private mutating func nextEmptyBatch(_ render: (inout PacketLine) -> Void) -> PacketBatch.Filler {
        while true {
            if let batch = ring.poll(readSequence, for: .read) {
                let filler = batch.filler
                filler.reset()
                return filler
            }
            _ = renderNext(render)
        }
    }

    /// Renders every batch the decoder has passed on so far, without waiting.
    private mutating func renderFinished(_ render: (inout PacketLine) -> Void) {
        while let batch = ring.poll(renderSequence, for: .render) { _ = self.render(batch, render) }
    }

    /// Waits for the next analysed batch and renders it; returns whether it was the last.
    private mutating func renderNext(_ render: (inout PacketLine) -> Void) -> Bool {
        self.render(ring.take(renderSequence, for: .render), render)
    }

    private mutating func render(_ batch: PacketBatch, _ render: (inout PacketLine) -> Void) -> Bool {
        for i in 0..<batch.count { render(&batch.lines[i]) }
        let last = batch.isLast
        ring.pass(from: .render, isLast: last)
        renderSequence &+= 1
        return last
    }
}

/// The decoding stage of `packets`: writes every frame's line into its batch. `scan` is written
/// before the last batch is passed on.
private final class BatchDecoder: @unchecked Sendable {
    private let link: LinkLayer
    private let ring: PacketBatchRing
    private(set) var scan: OfflineCapture.PacketScan?

    init(link: LinkLayer, ring: PacketBatchRing) {
        self.link = link
        self.ring = ring
    }

    @Sendable func run() {
        var frames = FrameLineDecoder(link: link)
        var sequence = 0
        while true {
            let batch = ring.take(sequence, for: .decode)
            for i in 0..<batch.count {
                let lifted = frames.decode(
                    batch.decodedFrames + i,
                    batch.segments(of: i),
                    batch.terminals + i,
                    batch.metas[i],
                    into: &batch.lines[i]
                )
                let analysis = (
                    hello: batch.lines[i].analysis.tlsHelloLocation, sip: batch.lines[i].analysis.sipLocation
                )
                guard analysis.hello == .reassembled || analysis.sip == .reassembled else {
                    // Other lines see only the batch's frames, which live as long as the line.
                    if lifted { batch.keepBytes(ofLine: i) }
                    continue
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
            let last = batch.isLast
            if last {
                scan = OfflineCapture.PacketScan(
                    counters: frames.tunnels.counters,
                    analyzer: frames.analyzer,
                    truncation: nil
                )
            }
            ring.pass(from: .decode, isLast: last)
            if last { return }
            sequence &+= 1
        }
    }
}
