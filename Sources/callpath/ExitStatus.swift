import ArgumentParser
import Capture

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exit codes callpath documents in `--help` and the README.
enum ExitStatus {
    static let success: Int32 = 0
    /// The capture ends inside a record: results for every complete packet were printed.
    static let truncatedCapture: Int32 = 3
    /// A bad command line (ArgumentParser's own code).
    static let usage: Int32 = 64
    /// The input is not a capture callpath can read (not pcap/pcapng, unsupported link type).
    static let badCapture: Int32 = 65
    /// The input file is missing or unreadable.
    static let noInput: Int32 = 66

    static let helpText = """
        EXIT STATUS
          0   success
          3   the capture is cut off mid-record: results cover every complete packet (a warning names the byte offset)
          64  bad command line
          65  not a pcap/pcapng capture, or a link type callpath cannot decode
          66  the file is missing or cannot be read
        """

    static func code(for error: CaptureError) -> Int32 {
        switch error.code {
        case .fileNotFound, .unreadable: return noInput
        case .truncated: return truncatedCapture
        default: return badCapture
        }
    }

    /// Prints one line on stderr, then exits with the matching code.
    static func fail(_ error: CaptureError) -> ExitCode {
        printError(error.message)
        return ExitCode(code(for: error))
    }

    static func printError(_ message: String) {
        FileHandleWriter.standardError.write("callpath: \(message)\n")
    }
}

/// Unbuffered writes to a file descriptor, without Foundation in the hot path.
struct FileHandleWriter {
    let descriptor: Int32
    static let standardError = FileHandleWriter(descriptor: 2)
    static let standardOutput = FileHandleWriter(descriptor: 1)

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ raw: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < raw.count, let base = raw.baseAddress {
            let written = Glibc.write(descriptor, base + offset, raw.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}
