import Dispatch

/// The batches of `packets`, each going round reader → decoder → renderer → reader in a fixed
/// order. Every hand-over is a semaphore signal, and a batch is touched only by the stage it
/// was last handed to — hence `@unchecked Sendable`.
final class PacketBatchRing: @unchecked Sendable {
    enum Stage: Int {
        case read, decode, render
    }

    private let batches = (0..<6).map { _ in PacketBatch() }
    /// Per stage: batches waiting for it. All start empty, waiting for the reader.
    private let waiting: [DispatchSemaphore]

    init() {
        waiting = [DispatchSemaphore(value: batches.count), DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
    }

    /// Waits until the stage's next batch (its `sequence`-th) is handed to it.
    func take(_ sequence: Int, for stage: Stage) -> PacketBatch {
        waiting[stage.rawValue].wait()
        return batches[sequence % batches.count]
    }

    /// Passes the batch the stage took last on to the next stage.
    func pass(from stage: Stage) {
        waiting[(stage.rawValue &+ 1) % waiting.count].signal()
    }
}
