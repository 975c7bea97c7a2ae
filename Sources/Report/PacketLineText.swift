import Dissect
import Wire

/// Renders `packets`' lines to text. The pipeline renders on two threads, each with its own copy.
public protocol PacketLineRenderer {
    /// Called once before the first line, with the time of the capture's first frame.
    mutating func begin(firstFrameTime: Timestamp)
    /// Appends the line's text to `text`, or nothing (a line filtered out). Lines are `inout`
    /// only so they are read in place.
    mutating func render(_ line: inout PacketLine, into text: inout TextBuffer)
}

/// A `packets` line as text or JSON (`PacketReport`), or nothing for a line without the protocol
/// asked for.
public struct PacketLineText: PacketLineRenderer, Sendable {
    public let json: Bool
    public let filter: ProtocolName?
    private var report = PacketReport()

    public init(json: Bool, filter: ProtocolName? = nil) {
        self.json = json
        self.filter = filter
    }

    public mutating func begin(firstFrameTime: Timestamp) { report = PacketReport(timesRelativeTo: firstFrameTime) }

    public mutating func render(_ line: inout PacketLine, into text: inout TextBuffer) {
        if let filter, !line.protocols.contains(filter) { return }
        if json { report.appendJSON(&line, to: &text) } else { report.appendText(&line, to: &text) }
    }
}
