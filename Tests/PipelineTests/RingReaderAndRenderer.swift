import Dispatch
import Foundation

@testable import Pipeline

/// The calling thread's side of `packets` for the ring's tests: reads and renders `batches`
/// batches as `packets` does, but in a random order (render what is ready, or read while a batch
/// is free, or wait for the decoder), pausing now and then for up to `longestPause` µs, one step in
/// `pauseOneIn`. `read(batch, sequence)` fills a batch; `render(batch, sequence)` checks one and
/// must pass it on. Returns a semaphore signalled when the last batch is rendered.
func startReadingAndRendering(
    _ ring: PacketBatchRing,
    batches: Int,
    pauseOneIn: Int,
    longestPause: UInt32,
    read: @escaping @Sendable (PacketBatch, Int) -> Void,
    render: @escaping @Sendable (PacketBatch, Int) -> Void
) -> DispatchSemaphore {
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        var pauses = SystemRandomNumberGenerator()
        var readCount = 0
        var rendered = 0
        while rendered < batches {
            if Bool.random(using: &pauses), let batch = ring.poll(rendered, for: .render) {
                render(batch, rendered)
                rendered += 1
            } else if readCount < batches, let batch = ring.poll(readCount, for: .read) {
                read(batch, readCount)
                ring.pass(from: .read, isLast: readCount == batches - 1)
                readCount += 1
            } else {
                render(ring.take(rendered, for: .render), rendered)
                rendered += 1
            }
            if Int.random(in: 0..<pauseOneIn, using: &pauses) == 0 {
                usleep(UInt32.random(in: 1...longestPause, using: &pauses))
            }
        }
        finished.signal()
    }
    thread.start()
    return finished
}
