import Foundation
import Testing

/// `callpath packets --format json` on every public capture, checked against tshark's view of
/// the file (`truth/*.json`): one well-formed object per frame, in order, with tshark's times. This also covers the info column's JSON escaping on real wire text (SIP, SNI, USERNAME).
@Suite struct PacketsCommandTests {
    static let truthFolder: URL? = {
        let folder = CommandLineTests.repositoryRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/captures/public/truth")
        return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
    }()

    static let contractKeys: Set<String> = [
        "frame", "time", "src", "dst", "srcPort", "dstPort", "transport", "protocols", "info",
    ]

    @Test(
        "one JSON object per frame, in frame order, on every public capture",
        .enabled(if: truthFolder != nil, "../shared/captures/public/truth is not present")
    )
    func jsonLinePerFrame() throws {
        let folder = try #require(Self.truthFolder)
        let truthFiles = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        #expect(truthFiles.count > 50)
        for truthFile in truthFiles {
            let truth = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: truthFile)) as? [String: Any]
            )
            // Per-capture files only (the folder also holds summaries without a path).
            guard let path = truth["path"] as? String, let frames = truth["packet_count"] as? Int else { continue }
            let capture = folder.deletingLastPathComponent().appendingPathComponent(path).path
            let outcome = try CommandLineTests.run(["packets", "--format", "json", capture])
            #expect(outcome.status == 0, "\(path): \(outcome.stderr)")
            let lines = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == frames, "\(path): \(lines.count) lines, tshark counts \(frames) frames")
            var times: [Double] = []
            for (index, line) in lines.enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    Issue.record("\(path) line \(index + 1) is not a JSON object: \(line)")
                    break
                }
                #expect(Self.contractKeys.isSubset(of: object.keys), "\(path) line \(index + 1)")
                #expect(object["frame"] as? Int == index + 1, "\(path) line \(index + 1)")
                times.append(object["time"] as? Double ?? .nan)
                let protocols = object["protocols"] as? [String] ?? []
                #expect(
                    !protocols.isEmpty && protocols.allSatisfy { $0 == $0.lowercased() },
                    "\(path) line \(index + 1)"
                )
            }
            // The truth's "first" time is capinfos's, with microseconds: usually the earliest frame's,
            // but for sip_ipv6_udp.pcap (seconds past 2^31, read unsigned) a later one's. Some frame
            // of ours must carry it.
            if let epoch = Double(truth["first_timestamp_epoch"] as? String ?? ""), frames > 0 {
                #expect(times.contains { abs($0 - epoch) < 2e-6 }, "\(path): no frame at tshark's \(epoch)")
            }
        }
    }

    /// As tshark's time column (`frame.time_relative`), text times count from the capture's first
    /// frame, also when `--protocol` leaves that frame out. Checked against the JSON's absolute
    /// times, which `jsonLinePerFrame` checks against tshark's.
    @Test func textTimesCountFromTheFirstFrameAlsoWithAFilter() throws {
        let capture = CommandLineTests.repositoryRoot.appendingPathComponent("Captures/novpn-srflx/novpn-srflx.pcapng")
            .path
        let json = try CommandLineTests.run(["packets", "--format", "json", capture])
        var times: [Int: Double] = [:]
        for line in json.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            times[try #require(object["frame"] as? Int)] = try #require(object["time"] as? Double)
        }
        let origin = try #require(times[1])
        let text = try CommandLineTests.run(["packets", "--protocol", "srtp", capture])
        let lines = text.stdout.split(separator: "\n")
        let first = try #require(lines.first?.split(separator: " ").first.flatMap { Int($0) })
        #expect(first > 1, "the filter must leave frame 1 out for this check to mean anything")
        for line in lines {
            let fields = line.split(separator: " ")
            let frame = try #require(Int(fields[0]))
            let relative = try #require(Double(fields[1]))
            let absolute = try #require(times[frame])
            #expect(abs(relative - (absolute - origin)) < 2e-6, "frame \(frame): \(relative) s")
        }
    }
}
