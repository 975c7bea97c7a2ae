import Dispatch
import Synchronization

/// The batches of `packets`, each going round reader → decoder → renderer → reader in a fixed
/// order, on two threads: one reads and renders, the other decodes. A batch is touched only by the
/// stage it was last handed to — hence `@unchecked Sendable`.
///
/// Waking a sleeping thread costs tens of microseconds on a virtual machine, more than decoding
/// a batch. So a batch for a thread that is asleep is held back until `wakeGroup` of them are
/// ready, and a thread about to sleep hands over what it holds first (no thread ever waits for
/// batches the other holds back). A thread that is awake gets each batch at once.
final class PacketBatchRing: @unchecked Sendable {
    enum Stage: Int {
        case read, decode, render
    }

    /// Enough batches that the decoder still has work while each thread holds back up to
    /// `wakeGroup - 1` of them for the other.
    private let batches = (0..<12).map { _ in PacketBatch() }
    static let wakeGroup = 4
    /// Per stage: the batches handed to it.
    private let queues: [HandOver]

    init() {
        queues = [HandOver(available: batches.count), HandOver(available: 0), HandOver(available: 0)]
    }

    /// Waits until the stage's next batch (its `sequence`-th) is handed to it.
    func take(_ sequence: Int, for stage: Stage) -> PacketBatch {
        let queue = queues[stage.rawValue]
        if !queue.tryTake() {
            // About to sleep: first hand over what this thread holds for the other one.
            queues[(stage == .decode ? Stage.render : Stage.decode).rawValue].release()
            queue.take()
        }
        return batches[sequence % batches.count]
    }

    /// The stage's next batch if it has been handed over already.
    func poll(_ sequence: Int, for stage: Stage) -> PacketBatch? {
        queues[stage.rawValue].tryTake() ? batches[sequence % batches.count] : nil
    }

    /// Whether nothing is handed to the stage (a relaxed look: the answer may be stale at once).
    func isEmpty(_ stage: Stage) -> Bool { queues[stage.rawValue].isEmpty }

    /// Passes the batch the stage took last on to the next stage; the last one goes at once.
    func pass(from stage: Stage, isLast: Bool = false) {
        let queue = queues[(stage.rawValue &+ 1) % queues.count]
        queue.held &+= 1
        if isLast || queue.held >= Self.wakeGroup || !queue.consumerAsleep.load(ordering: .sequentiallyConsistent) {
            queue.release()
        }
    }
}

/// The batches handed over to one stage: a count both threads update atomically, so taking one
/// that is there costs no system call, and a semaphore the consumer sleeps on when there is none.
/// `held` counts batches the producer has not handed over yet; only the producer's thread touches it.
private final class HandOver: @unchecked Sendable {
    private let available: Atomic<Int>
    let consumerAsleep = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    var held = 0

    init(available: Int) { self.available = Atomic(available) }

    var isEmpty: Bool { available.load(ordering: .relaxed) == 0 }

    func tryTake() -> Bool {
        var count = available.load(ordering: .acquiring)
        while count > 0 {
            let (exchanged, current) = available.compareExchange(
                expected: count,
                desired: count &- 1,
                ordering: .acquiringAndReleasing
            )
            if exchanged { return true }
            count = current
        }
        return false
    }

    /// Waits for a batch. The flag is raised before the last look and the producer looks at it
    /// after adding, both sequentially consistent, so one of the two always sees the other (no
    /// lost wake-up); a stale signal only costs one more look.
    func take() {
        while !tryTake() {
            consumerAsleep.store(true, ordering: .sequentiallyConsistent)
            if available.load(ordering: .sequentiallyConsistent) == 0 { wakeUp.wait() }
            consumerAsleep.store(false, ordering: .relaxed)
        }
    }

    /// Hands over the held batches, waking the consumer if it sleeps.
    func release() {
        guard held > 0 else { return }
        available.add(held, ordering: .sequentiallyConsistent)
        held = 0
        if consumerAsleep.exchange(false, ordering: .sequentiallyConsistent) { wakeUp.signal() }
    }
}
