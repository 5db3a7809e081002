import Foundation

/// Fetched bytes of one range of one file version, in mapped memory: a budgeted buffer reuses an
/// idle mapping its reservation carries and is kept for reuse when freed (RSS stays within the read
/// budget); an unbudgeted one is mapped for it alone and unmapped when freed.
///
/// Invariants: written only by the fetch that fills it, front to back; a byte is read only once the
/// streamer has published (under its lock) that the fill passed it, and is never written again
/// (hence `@unchecked Sendable`); `count <= capacity`, set when the fill ends, and no byte past
/// `count` is ever read (a reused mapping holds older data there); its budget reservation ends when
/// the buffer is freed.
final class SegmentBuffer: @unchecked Sendable {
    let offset: Int64
    let capacity: Int
    private(set) var count = 0
    private let base: UnsafeMutableRawPointer?
    private let reservation: ReadBudget.Reservation?

    init(offset: Int64, capacity: Int, reservation: ReadBudget.Reservation?) throws(FSError) {
        self.offset = offset
        self.capacity = capacity
        self.reservation = reservation
        if capacity == 0 {
            base = nil
            return
        }
        if let reused = reservation?.takeMapping(capacity: capacity) {
            base = reused
            return
        }
        let mapped = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { throw FSError(ENOMEM) }
        base = mapped
    }

    deinit {
        guard let base else {
            reservation?.release()
            return
        }
        if let reservation {
            reservation.recycle(base, capacity: capacity)
        } else {
            munmap(base, capacity)
        }
    }

    /// Runs `body` on the whole buffer and records how many bytes it filled.
    func fill(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows {
        count = min(capacity, max(0, try body(UnsafeMutableRawBufferPointer(start: base, count: capacity))))
    }

    /// The bytes from file offset `from` up to `to` (clamped to the capacity; the caller knows they
    /// have arrived).
    func bytes(from: Int64, to: Int64) -> UnsafeRawBufferPointer {
        let start = Int(max(0, from - offset))
        let end = Int(min(Int64(capacity), to - offset))
        guard let base, start < end else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + start, count: end - start)
    }

    /// One past the last valid file offset.
    var end: Int64 { offset + Int64(count) }
}
