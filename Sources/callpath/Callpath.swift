import ArgumentParser

@main
struct Callpath: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callpath",
        abstract: "Which way did the call's media go? Reads pcap/pcapng captures of Teams, WebRTC and SIP calls.",
        discussion: ExitStatus.helpText,
        version: "0.1.0",
        subcommands: [Analyze.self, Live.self, Interfaces.self, Conversations.self, Packets.self],
        defaultSubcommand: nil
    )
}
