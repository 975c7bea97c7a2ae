import Capture
import Dissect
import Flows
import Wire

/// Reads a capture file through the decoding pipeline.
/// A file cut off mid-record still delivers every complete packet; the cut is reported beside the results.
public struct OfflineCapture {
    public let file: PcapFile
    public let link: LinkLayer

    public init(path: String) throws(CaptureError) {
        file = try PcapFile(path: path)
        guard let link = LinkLayer(dlt: file.linkType.rawValue) else {
            throw CaptureError(
                code: .unsupportedLinkType,
                message: "\(path): unsupported link type \(file.linkType.name) (DLT \(file.linkType.rawValue)); "
                    + "callpath reads \(LinkLayer.supportedNames) captures: capture on an IP interface "
                    + "(or `-i any`) instead"
            )
        }
        self.link = link
    }

    public struct ConversationScan {
        public var table: ConversationTable
        public var counters: DecodeCounters
        /// Set when the file ended inside a record.
        public var truncation: CaptureError?
    }

    /// Builds the conversation table for the whole file.
    public func conversations() throws(CaptureError) -> ConversationScan {
        var decoder = FrameDecoder(link: link)
        var table = ConversationTable()
        var truncation: CaptureError? = nil
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in
                table.noteFrame(at: meta.timestamp)
                decoder.decode(bytes, at: meta.timestamp) { segment in
                    table.add(segment, wireLength: meta.wireLength, at: meta.timestamp)
                }
            }
        } catch {
            guard error.code == .truncated else { throw error }
            truncation = error
        }
        return ConversationScan(table: table, counters: decoder.counters, truncation: truncation)
    }
}
