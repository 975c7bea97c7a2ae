import Wire

/// Where packets come from: a capture file or a live interface. The pipeline reads both through
/// this one interface, so offline analysis and live capture share one code path.
public protocol PacketSource: AnyObject {
    var linkType: LinkType { get }
    /// A name for reports: the file path or the interface.
    var name: String { get }
    /// Calls `body` for every packet until the source ends or `stop()` is called; `idle` runs
    /// whenever a live read times out with no packet (at least every read timeout), so callers can
    /// refresh a display. The bytes are valid only inside `body`.
    func forEachPacket(
        _ body: (PacketMeta, UnsafeRawBufferPointer) -> Void,
        idle: () -> Void
    ) throws(CaptureError)
}
