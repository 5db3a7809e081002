import NIOCore

/// Buffers of one size that read responses fill and hand to the socket, kept between chunks and
/// requests so their memory stays mapped and touched.
///
/// Why: a fresh megabyte from malloc is often fresh memory from the kernel (glibc trims freed arena
/// tops), and every page of it costs a fault and a zeroing before `pread` can fill it: with four
/// range requests in flight that was a third of the emulator's CPU in a cold 1 GiB read.
///
/// Invariants: at most `capacity` buffers are kept, every one of `chunkLength` bytes' capacity; a
/// buffer handed back may still be queued for the socket: `take` clears it, and ByteBuffer's
/// copy-on-write gives the taker new storage when NIO still holds the old, so a kept buffer is never
/// written while its bytes are in flight. Buffers are taken oldest first, the likeliest to be sent.
final class ChunkBufferPool: Sendable {
    let chunkLength: Int
    let capacity: Int
    private let kept = Locked<[ByteBuffer]>([])

    init(chunkLength: Int, capacity: Int) {
        self.chunkLength = chunkLength
        self.capacity = capacity
    }

    /// An empty buffer with room for `chunkLength` bytes.
    func take() -> ByteBuffer {
        // Cleared in place, where the pool's reference is the only one unless NIO still holds it.
        let reused: ByteBuffer? = kept.withLock { kept in
            guard !kept.isEmpty else { return nil }
            kept[0].clear()
            return kept.removeFirst()
        }
        return reused ?? ByteBufferAllocator().buffer(capacity: chunkLength)
    }

    /// Keeps `buffer` for a later `take` (dropped when the pool is full or it is not of the pool's size).
    func give(_ buffer: ByteBuffer) {
        guard buffer.capacity >= chunkLength else { return }
        kept.withLock { kept in
            if kept.count < capacity { kept.append(buffer) }
        }
    }
}
