import Dissect
import Wire

/// STUN requests waiting for a response, by transaction id (RFC 8489 §6.3): a response gives the
/// round-trip time. Bounded: past `capacity` open requests the oldest generation is dropped.
struct STUNTransactions: Sendable {
    static let capacity = 65536
    private var open: [STUNTransactionID: (frame: Int, time: Timestamp)] = [:]

    mutating func request(_ id: STUNTransactionID, frame: Int, time: Timestamp) {
        if open.count >= Self.capacity { open.removeAll(keepingCapacity: true) }
        if open[id] == nil { open[id] = (frame, time) }
    }

    /// The request a response answers, removing it (retransmitted responses then find nothing).
    mutating func response(_ id: STUNTransactionID) -> (frame: Int, time: Timestamp)? {
        open.removeValue(forKey: id)
    }
}
