import CPcap

/// The link-layer header type of a capture, as `pcap_datalink` reports it (a DLT_ value).
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// libpcap's short name (`EN10MB`, `LINUX_SLL2`, …), or the number when libpcap has none.
    public var name: String {
        guard let cName = pcap_datalink_val_to_name(rawValue) else { return "DLT \(rawValue)" }
        return String(cString: cName)
    }
}
