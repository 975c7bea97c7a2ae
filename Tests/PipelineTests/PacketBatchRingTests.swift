import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Pipeline

/// The ring's hand-over holds batches back from a sleeping thread and relies on a flag raised
/// before the last look for a batch (no lost wake-up). Here two threads play the three stages the
/// way `packets` does, with pauses that put either side to sleep at random points: every batch must
/// reach each stage in order, after the stage before it wrote it, and the run must end.
@Suite struct PacketBatchRingTests {
    final class Failures: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test func everyBatchReachesEachStageInOrderAndNoWakeUpIsLost() {
        let batches = 20_000
        let ring = PacketBatchRing()
        let failures = Failures()
        let decoder = Thread {
            var pauses = SystemRandomNumberGenerator()
            for sequence in 0..<batches {
                let batch = ring.take(sequence, for: .decode)
                if batch.state.pointee.count != sequence { failures.count.add(1, ordering: .relaxed) }
                batch.state.pointee.framesUsed = sequence  // "decoded"
                if Int.random(in: 0..<64, using: &pauses) == 0 { usleep(UInt32.random(in: 1...200, using: &pauses)) }
                ring.pass(from: .decode, isLast: sequence == batches - 1)
            }
        }
        decoder.start()
        let finished = startReadingAndRendering(
            ring,
            batches: batches,
            pauseOneIn: 64,
            longestPause: 200,
            read: { batch, sequence in batch.state.pointee.count = sequence },  // "read"
            render: { batch, sequence in
                if batch.state.pointee.framesUsed != sequence { failures.count.add(1, ordering: .relaxed) }
                ring.pass(from: .render)
            }
        )
        #expect(finished.wait(timeout: .now() + 60) == .success, "the stages stopped waiting for each other")
        #expect(failures.count.load(ordering: .relaxed) == 0)
    }
}
