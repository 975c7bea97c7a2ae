import ArgumentParser
import Capture

struct Interfaces: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfaces",
        abstract: "List the interfaces callpath can capture on, with their addresses and flags."
    )

    func run() throws {
        let devices = CaptureDevices.list()
        guard !devices.isEmpty else {
            ExitStatus.printError("no capture interfaces visible: run as root or grant CAP_NET_RAW and CAP_NET_ADMIN")
            throw ExitCode(ExitStatus.noInput)
        }
        var out = ""
        for device in devices {
            var flags: [String] = []
            if device.isUp { flags.append("up") } else { flags.append("down") }
            if device.isRunning { flags.append("running") }
            if device.isLoopback { flags.append("loopback") }
            if device.isWireless { flags.append("wireless") }
            let padded = device.name.padding(toLength: max(12, device.name.count), withPad: " ", startingAt: 0)
            out += "\(padded)  [\(flags.joined(separator: ","))]  \(device.addresses.joined(separator: " "))"
            if let description = device.description { out += "  (\(description))" }
            out += "\n"
        }
        FileHandleWriter.standardOutput.write(out)
    }
}
