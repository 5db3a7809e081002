import NIOCore
import Testing
@testable import FastIOEmulator

/// The read responses' buffer pool must reuse memory that nobody else holds, and never write into a
/// buffer whose bytes are still queued elsewhere.
struct ChunkBufferPoolTests {
    /// Fills the way FileRangeBody does (`pread` into the writable bytes), so a pool that handed out
    /// storage still queued elsewhere would be caught writing over it.
    private static func fill(_ buffer: inout ByteBuffer, with byte: UInt8, count: Int) {
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { target in
            target.baseAddress!.initializeMemory(as: UInt8.self, repeating: byte, count: count)
            return count
        }
    }

    private static func storageAddress(_ buffer: ByteBuffer) -> UInt {
        buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }

    @Test func aBufferNobodyHoldsIsReusedWithItsMemory() {
        let pool = ChunkBufferPool(chunkLength: 4096, capacity: 2)
        var first = pool.take()
        Self.fill(&first, with: 1, count: 4096)
        let address = Self.storageAddress(first)
        pool.give(first)
        first = ByteBuffer()  // the only other reference is gone
        let second = pool.take()
        #expect(second.readableBytes == 0)
        #expect(second.capacity >= 4096)
        #expect(Self.storageAddress(second) == address)
    }

    @Test func aBufferStillQueuedElsewhereIsNotOverwritten() {
        let pool = ChunkBufferPool(chunkLength: 4096, capacity: 2)
        var buffer = pool.take()
        Self.fill(&buffer, with: 0xAA, count: 4096)
        let queued = buffer  // as NIO holds a written buffer until the socket takes it
        pool.give(buffer)
        var reused = pool.take()
        Self.fill(&reused, with: 0x55, count: 4096)
        #expect(queued.readableBytesView.allSatisfy { $0 == 0xAA })
        #expect(reused.readableBytesView.allSatisfy { $0 == 0x55 })
    }

    @Test func thePoolKeepsAtMostItsCapacityOldestFirst() {
        let pool = ChunkBufferPool(chunkLength: 4096, capacity: 2)
        var buffers = (0..<3).map { _ in pool.take() }
        let addresses = buffers.map(Self.storageAddress)
        let overflow = buffers[2]  // keeps the third storage allocated, so no new buffer can get its address
        for buffer in buffers { pool.give(buffer) }
        buffers.removeAll()
        let first = pool.take(), second = pool.take(), third = pool.take()
        #expect(Self.storageAddress(first) == addresses[0])
        #expect(Self.storageAddress(second) == addresses[1])
        #expect(!addresses.contains(Self.storageAddress(third)))
        #expect(overflow.capacity >= 4096)
    }
}
