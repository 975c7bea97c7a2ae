/// A capture could not be opened or read: a code for programs, a message that names the fix for people.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let fileNotFound = Code(rawValue: "file-not-found")
        public static let unreadable = Code(rawValue: "unreadable")
        public static let notACapture = Code(rawValue: "not-a-capture")
        public static let unsupportedLinkType = Code(rawValue: "unsupported-link-type")
        /// The file ends inside a record; everything before it was read.
        public static let truncated = Code(rawValue: "truncated")
        public static let read = Code(rawValue: "read")
        public static let permissionDenied = Code(rawValue: "permission-denied")
        public static let noSuchDevice = Code(rawValue: "no-such-device")
        public static let interfaceDown = Code(rawValue: "interface-down")
        public static let badFilter = Code(rawValue: "bad-filter")
        public static let write = Code(rawValue: "write")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
