import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Pipeline

/// While it has nothing to decode, the decoder renders chunks of a batch it has passed on, until
/// the renderer closes the batch (`PacketBatch.claimChunk`, `closeForHelp`). Here two threads race
/// on that hand-over, with random pauses on both sides: the text the renderer receives must be
/// exactly the batch's first lines, in order, in whole chunks, and no claim may land after the
/// close (its text would show up in the batch's next round).
@Suite struct PacketBatchHelpTests {
    final class Failures: Sendable {
        let count = Atomic<Int>(0)
        let helpedLines = Atomic<Int>(0)
    }

    @Test func theDecodersChunksAreTheFirstLinesInOrderAndNoneLandsAfterTheClose() {
        let batches = 5_000
        let ring = PacketBatchRing()
        let failures = Failures()
        let decoder = Thread {
            var pauses = SystemRandomNumberGenerator()
            for sequence in 0..<batches {
                let batch = ring.take(sequence, for: .decode)
                let count = batch.count
                let last = sequence == batches - 1
                batch.openForHelp()
                ring.pass(from: .decode, isLast: last)
                if last { break }
                while let chunk = batch.claimChunk(of: count) {
                    for i in chunk {
                        batch.helperText.pointee.append(decimal: sequence * 1_000 + i)
                        batch.helperText.pointee.append(byte: 0x0A)
                    }
                    if Int.random(in: 0..<8, using: &pauses) == 0 { usleep(UInt32.random(in: 1...50, using: &pauses)) }
                    batch.finishChunk()
                }
            }
        }
        decoder.start()
        let finished = startReadingAndRendering(
            ring,
            batches: batches,
            pauseOneIn: 16,
            longestPause: 100,
            read: { batch, _ in batch.state.pointee.count = Int.random(in: 1...PacketBatch.capacity) },
            render: { batch, sequence in
                let helped = batch.closeForHelp()
                let count = batch.count
                let text = batch.helperText.pointee.withBytes { String(decoding: $0, as: UTF8.self) }
                let expected = (0..<helped).map { "\(sequence * 1_000 + $0)\n" }.joined()
                let wholeChunks = helped % PacketBatch.chunkSize == 0 || helped == count
                if text != expected || helped > count || !wholeChunks { failures.count.add(1, ordering: .relaxed) }
                failures.helpedLines.add(helped, ordering: .relaxed)
                batch.helperText.pointee.removeAll()
                ring.pass(from: .render)
            }
        )
        #expect(finished.wait(timeout: .now() + 60) == .success, "the stages stopped waiting for each other")
        #expect(failures.count.load(ordering: .relaxed) == 0)
        // The race must have been run: the decoder rendered part of the lines, not none of them.
        #expect(failures.helpedLines.load(ordering: .relaxed) > 0)
    }
}
