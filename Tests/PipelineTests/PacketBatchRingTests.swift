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
        let finished = DispatchSemaphore(value: 0)
        let readerAndRenderer = Thread {
            var pauses = SystemRandomNumberGenerator()
            var read = 0
            var rendered = 0
            func render(_ batch: PacketBatch) {
                if batch.state.pointee.framesUsed != rendered { failures.count.add(1, ordering: .relaxed) }
                ring.pass(from: .render)
                rendered += 1
            }
            while rendered < batches {
                // As `packets` does, but in a random order: render what is ready, or read while
                // a batch is free, or wait for the decoder.
                if Bool.random(using: &pauses), let batch = ring.poll(rendered, for: .render) {
                    render(batch)
                } else if read < batches, let batch = ring.poll(read, for: .read) {
                    batch.state.pointee.count = read  // "read"
                    ring.pass(from: .read, isLast: read == batches - 1)
                    read += 1
                } else {
                    render(ring.take(rendered, for: .render))
                }
                if Int.random(in: 0..<64, using: &pauses) == 0 { usleep(UInt32.random(in: 1...200, using: &pauses)) }
            }
            finished.signal()
        }
        decoder.start()
        readerAndRenderer.start()
        #expect(finished.wait(timeout: .now() + 60) == .success, "the stages stopped waiting for each other")
        #expect(failures.count.load(ordering: .relaxed) == 0)
    }
}
