import ArgumentParser
import Capture
import Dissect
import Judge
import Pipeline
import Report
import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The capture SIGINT/SIGTERM stop; touched only by `Live.run` and the signal handler.
nonisolated(unsafe) private var runningCapture: LiveCapture?

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture on an interface and show each call's path as it happens.",
        discussion: """
            Same pipeline as `analyze`. On a terminal: a view refreshed once a second with calls, \
            their current path, packets/s and drops; path changes are highlighted. Otherwise: JSON \
            lines events (call-started, path-changed, call-ended, stats) and, last, one \
            {"event":"summary",…} line holding what `analyze --format json` prints for the same packets. \
            Ctrl-C (SIGINT) or SIGTERM stops, flushes -w and prints the summary (exit 0).
            """
    )

    @Option(
        name: .shortAndLong,
        help: "Interface to capture on (default: the first one up). See `callpath interfaces`."
    )
    var interface: String?

    @Option(name: .shortAndLong, help: "BPF capture filter, tcpdump syntax, e.g. \"udp or tcp port 443\".")
    var filter: String?

    @Option(help: "Bytes kept of each packet.")
    var snaplen: Int32 = 262_144

    @Option(name: .customLong("buffer-size"), help: "Kernel capture buffer in MiB.")
    var bufferMiB: Int32?

    @Flag(
        help:
            "Deliver each packet the moment it arrives (libpcap immediate mode): lower latency, but a wakeup per packet. By default packets come in batches at least every 200 ms, which keeps up with 300,000+ packets/s."
    )
    var immediate = false

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many packets.")
    var count: Int?

    @Option(name: .shortAndLong, help: "Also write what was captured to this pcapng file.")
    var write: String?

    @Option(name: .customLong("rotate-mb"), help: "With -w: start a new file after this many MiB.")
    var rotateMiB: Int?

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if rotateMiB != nil && write == nil { throw ValidationError("--rotate-mb needs -w FILE") }
    }

    func run() throws {
        guard let device = interface ?? CaptureDevices.defaultDevice() else {
            ExitStatus.printError(
                "no capture interface found: run as root, or name one with -i (see `callpath interfaces`)"
            )
            throw ExitCode(ExitStatus.noInput)
        }
        var options = LiveCapture.Options()
        options.snaplen = snaplen
        options.bufferSize = bufferMiB.map { $0 * 1_048_576 }
        options.immediate = immediate
        options.filter = filter
        let capture: LiveCapture
        do { capture = try LiveCapture(device: device, options: options) } catch { throw ExitStatus.fail(error) }
        for warning in capture.warnings { ExitStatus.printError("warning: \(warning)") }
        guard let link = LinkLayer(dlt: capture.linkType.rawValue) else {
            ExitStatus.printError(
                "\(device): unsupported link type \(capture.linkType.name); capture on an IP interface or on `any`"
            )
            throw ExitCode(ExitStatus.badCapture)
        }
        let writer: PcapNGWriter?
        do {
            writer = try write.map { path throws(CaptureError) in
                try PcapNGWriter(
                    path: path,
                    linkType: capture.linkType,
                    snaplen: capture.snaplen,
                    interfaceName: device,
                    rotateBytes: rotateMiB.map { $0 * 1_048_576 }
                )
            }
        } catch { throw ExitStatus.fail(error) }

        runningCapture = capture
        signal(SIGINT) { _ in runningCapture?.stop() }
        signal(SIGTERM) { _ in runningCapture?.stop() }
        // A parent may have started us with these signals blocked (the mask is inherited): unblock them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            runningCapture = nil
        }

        let context = network.context
        let tunnel = TunnelInterface.recognise(link: link, interfaceNames: [device])
        var pipeline = CallPipeline(link: link)
        var view = LiveView(device: device, terminal: isatty(1) == 1)
        let started = Timestamp(nanoseconds: Self.now())
        var writeError: CaptureError? = nil
        func tick() {
            let now = Self.now()
            if let duration, Double(now - started.nanoseconds) / 1e9 >= duration { capture.stop() }
            guard view.due(now) else { return }
            view.update(
                pipeline.calls(context: context, tunnelInterface: tunnel),
                pipeline: pipeline,
                stats: capture.statistics(),
                now: now
            )
        }
        do throws(CaptureError) {
            try capture.forEachPacket(
                { meta, bytes in
                    pipeline.process(meta, bytes)
                    if let writer, writeError == nil {
                        do throws(CaptureError) { try writer.write(meta, bytes) } catch { writeError = error }
                    }
                    if let count, capture.packetsRead >= count { capture.stop() }
                    tick()
                },
                idle: tick
            )
        } catch {
            writer?.close()
            throw ExitStatus.fail(error)
        }
        writer?.close()
        if let writeError { ExitStatus.printError(writeError.message) }
        let calls = pipeline.calls(context: context, tunnelInterface: tunnel)
        let stats = capture.statistics()
        var notes: [String] = []
        if let stats {
            notes.append(
                "libpcap received \(stats.received) packets, dropped \(stats.dropped) (kernel buffer full) and "
                    + "\(stats.interfaceDropped) at the interface"
            )
        }
        if let tunnel { notes.append("captured on a tunnel interface (\(tunnel.tunnel))") }
        let report = CallReport(
            file: device,
            packets: pipeline.packets,
            first: pipeline.first,
            last: pipeline.last,
            linkType: capture.linkType.name,
            calls: calls,
            notes: notes
        )
        view.finish(report, dropped: stats?.dropped ?? 0)
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
