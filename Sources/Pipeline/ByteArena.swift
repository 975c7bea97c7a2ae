/// Bytes copied into chunks that never move while in use, so views into them stay valid until
/// `reset`. Chunks are kept for reuse: once warm, copying allocates nothing.
struct ByteArena {
    private let chunkSize: Int
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    private var chunk = 0
    private var used = 0

    init(chunkSize: Int) { self.chunkSize = chunkSize }

    /// Forgets every copy; the views handed out before are invalid from here on.
    mutating func reset() {
        chunk = 0
        used = 0
    }

    /// A copy of `bytes` that lives until the next `reset`.
    mutating func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let source = bytes.baseAddress, bytes.count > 0 else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        if chunk == chunks.count || used &+ bytes.count > chunks[chunk].count { nextChunk(holding: bytes.count) }
        let target = UnsafeMutableRawBufferPointer(rebasing: chunks[chunk][used..<(used &+ bytes.count)])
        target.copyMemory(from: UnsafeRawBufferPointer(start: source, count: bytes.count))
        used &+= bytes.count
        return UnsafeRawBufferPointer(target)
    }

    /// Moves to the next chunk that holds `size` bytes, adding one if there is none.
    private mutating func nextChunk(holding size: Int) {
        if chunk < chunks.count, used > 0 { chunk &+= 1 }
        while chunk < chunks.count, chunks[chunk].count < size { chunk &+= 1 }
        if chunk == chunks.count {
            chunks.append(.allocate(byteCount: Swift.max(size, chunkSize), alignment: 16))
        }
        used = 0
    }

    func deallocate() {
        for chunk in chunks { chunk.deallocate() }
    }
}
