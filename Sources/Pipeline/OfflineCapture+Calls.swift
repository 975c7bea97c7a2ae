import Calls
import Capture
import Dissect
import Flows
import Judge
import Wire

extension OfflineCapture {
    public struct CallScan {
        public var calls: [CallVerdict]
        public var counters: DecodeCounters
        public var packets: Int
        public var first: Timestamp?
        public var last: Timestamp?
        public var interfaceNames: [String]
        public var tunnelInterface: String?
        public var truncation: CaptureError?
    }

    /// Runs the whole pipeline (decode → flows → calls → judge) over the file.
    public func analyzeCalls(context: NetworkContext) throws(CaptureError) -> CallScan {
        var pipeline = CallPipeline(link: link)
        var truncation: CaptureError? = nil
        do throws(CaptureError) {
            try file.forEachPacket { meta, bytes in pipeline.process(meta, bytes) }
        } catch {
            guard error.code == .truncated else { throw error }
            truncation = error
        }
        let names = PcapNGInterfaces.names(inFile: file.path)
        let tunnel = TunnelInterface.recognise(link: link, interfaceNames: names)
        return CallScan(
            calls: pipeline.calls(context: context, tunnelInterface: tunnel),
            counters: pipeline.counters,
            packets: file.packetsRead,
            first: pipeline.first,
            last: pipeline.last,
            interfaceNames: names,
            tunnelInterface: tunnel?.tunnel,
            truncation: truncation
        )
    }
}
