import Foundation
import Pipeline
import Report
import Testing
import Wire

/// `packets` renders on both of its threads (the decoder takes the first lines of a batch when it
/// has nothing to decode), and the calling thread puts the pieces together. The text must be the
/// same as rendering every line in order on one thread (`packets(_:)`), on every capture of the
/// project's own, in JSON and as text, with and without a protocol filter.
@Suite struct PacketRenderingTests {
    static let captures: [String] = {
        let root = SharedCaptures.repositoryRoot.appendingPathComponent("Captures")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        // Those in git (not under hidden working folders) that libpcap opens (not the broken
        // link-type samples, which fail before any packet).
        return files.filter { file in
            (file.hasSuffix(".pcap") || file.hasSuffix(".pcapng"))
                && !file.split(separator: "/").contains { $0.hasPrefix(".") }
                && (try? OfflineCapture(path: root.appendingPathComponent(file).path)) != nil
        }.sorted()
    }()

    static let renderers: [(name: String, renderer: PacketLineText)] = [
        ("json", PacketLineText(json: true)),
        ("text", PacketLineText(json: false)),
        ("json, rtp only", PacketLineText(json: true, filter: .rtp)),
        ("text, stun only", PacketLineText(json: false, filter: .stun)),
    ]

    @Test func capturesAreThere() { #expect(Self.captures.count >= 20) }

    @Test(arguments: captures)
    func bothThreadsRenderWhatOneThreadRendersInOrder(_ capture: String) throws {
        let path = SharedCaptures.repositoryRoot.appendingPathComponent("Captures/\(capture)").path
        for (name, renderer) in Self.renderers {
            var twoThreads = Data()
            _ = try OfflineCapture(path: path).packets(rendering: renderer) { twoThreads.append(contentsOf: $0) }

            var oneThread = TextBuffer()
            var sequential = renderer
            var begun = false
            _ = try OfflineCapture(path: path).packets { line in
                if !begun {
                    sequential.begin(firstFrameTime: line.time)
                    begun = true
                }
                sequential.render(&line, into: &oneThread)
            }
            let expected = oneThread.withBytes { Data($0) }
            #expect(!expected.isEmpty || name.contains("only"), "\(name): nothing rendered")
            #expect(twoThreads == expected, "\(capture), \(name): \(twoThreads.count) bytes against \(expected.count)")
        }
    }
}
