import FastIO
import Foundation

/// Serves the reads of one open file handle from ranges fetched ahead on a shared thread pool.
///
/// Invariants:
/// - every fetch asks for `versionID` (the version seen at open), so a handle never mixes versions;
/// - fetched-ahead memory is always covered by a `ReadBudget` reservation; when none can be had for
///   the bytes a read needs, just those are fetched into memory outside the budget (so reads never
///   wait for budget and never deadlock), on the shared pool like every fetch: the pool's size, not
///   the number of FUSE workers, bounds that memory and the HTTP handles it takes;
/// - the parts a read waits for run before read-ahead (urgent on the pool);
/// - parts are sorted, never overlap, and are dropped once consumed, once left `backwardSlack` behind
///   the reader, on a far seek, or at `close`;
/// - a read waiting for an in-flight part blocks on `condition` until the bytes it needs have
///   arrived (`available`, which only grows; a part's first bytes serve reads while the rest is
///   still downloading); a failed part throws its errno on the read that needs bytes it never got
///   (and is dropped, so a retry refetches).
/// All mutable state is guarded by `condition` (hence `@unchecked Sendable`).
final class RangeStreamer: @unchecked Sendable {
    struct Source: Sendable {
        let api: any FastIOAPI
        let profile: StorageProfile
        let nodeID: String
        let versionID: String?
        let fileSize: Int64
        /// The persistent read cache, when the mount has one (`CachedRangeRead`).
        var cache: BlockCache? = nil
    }

    /// One range being fetched or fetched. All fields are guarded by the streamer's `condition`
    /// (hence `@unchecked Sendable`: the fetch job hands it back under that lock).
    private final class Part: @unchecked Sendable {
        let range: Range<Int64>
        var buffer: SegmentBuffer?
        /// Bytes from `range.lowerBound` already in `buffer` and final.
        var available = 0
        /// The smallest file offset a waiting read needs this part to reach (`Int64.max`: nobody
        /// waits): progress wakes the waiters only once it gets there, not on every chunk.
        var wakeAt = Int64.max
        var error: FSError?
        var done = false
        var consumed: Int64 = 0
        init(range: Range<Int64>) { self.range = range }
        /// One past the last byte readers may use now.
        var usableEnd: Int64 { range.lowerBound + Int64(available) }
    }

    let source: Source
    private let pool: FetchThreadPool
    private let budget: ReadBudget
    private let condition = NSCondition()
    private var window: PrefetchWindow
    private var parts: [Part] = []
    private var inFlight = 0
    private var closed = false
    private var unbudgetedReadCount = 0
    private var fetchCount = 0
    private var fetchedBytes: Int64 = 0
    private var farSeekCount = 0
    private var readCount = 0

    init(source: Source, window: PrefetchWindow, pool: FetchThreadPool, budget: ReadBudget) {
        self.source = source
        self.window = window
        self.pool = pool
        self.budget = budget
    }

    /// Reads up to `size` bytes at `offset` and hands them to `reply` exactly once (short only at EOF).
    func read(offset: Int64, size: Int, reply: (UnsafeRawBufferPointer) -> Void) throws(FSError) {
        guard offset >= 0 else { throw FSError(EINVAL) }
        // A read near Int64.max (the kernel's offset, a size the server announced) must not overflow.
        let end = min(offset.saturatingAdd(Int64(max(0, size))), source.fileSize)
        guard offset < end else {
            reply(UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        condition.lock()
        guard !closed else {
            condition.unlock()
            throw FSError(EBADF)
        }
        readCount += 1
        if window.observe(offset: offset, length: Int(end - offset)) == .farSeek {
            farSeekCount += 1
            parts.removeAll { !$0.range.overlaps(offset..<end) }
        }
        if !schedule(readOffset: offset, readEnd: end) {
            unbudgetedReadCount += 1
            startUnbudgeted(readOffset: offset, readEnd: end)
        }
        let pieces: [Piece]
        do {
            pieces = try waitForPieces(offset: offset, end: end)
        } catch let error {
            condition.unlock()
            if error.errno == EAGAIN {  // a part vanished under us (another reader's far seek)
                try directRead(offset: offset, end: end, reply: reply)
                return
            }
            throw error
        }
        condition.unlock()
        try Self.assemble(pieces, offset: offset, end: end, reply: reply)
    }

    /// Drops every part; reads after this fail with EBADF. The budget's idle mappings go back to the
    /// system when this was the last handle using it (a fetch still running keeps them until the
    /// next close).
    func close() {
        condition.lock()
        closed = true
        parts.removeAll()
        condition.broadcast()
        condition.unlock()
        budget.dropIdleMappingsIfUnused()
    }

    /// (range requests started on the pool, reads whose bytes were fetched outside the budget), for tests.
    var statistics: (fetches: Int, unbudgetedReads: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (fetchCount, unbudgetedReadCount)
    }

    /// One line on how this handle fetched (logged at close).
    var summary: String {
        condition.lock()
        defer { condition.unlock() }
        return "\(readCount) reads, \(fetchCount) range requests (\(fetchedBytes) bytes), \(unbudgetedReadCount) unbudgeted reads, "
            + "\(farSeekCount) far seeks, window \(window.size)"
    }

    // MARK: - under `condition`

    /// Starts the parts the window plans; false when the read's own bytes could not be budgeted.
    private func schedule(readOffset: Int64, readEnd: Int64) -> Bool {
        let coveredUntil = coverage(from: readOffset)
        let plan = window.plan(readOffset: readOffset, readEnd: readEnd, coveredUntil: coveredUntil,
                               inFlight: inFlight, fileSize: source.fileSize)
        for planned in plan {
            let isDemand = planned.lowerBound < readEnd
            let range = clipped(planned)
            guard !range.isEmpty else { return !isDemand }
            let length = Int(range.count)
            guard let reservation = isDemand
                ? budget.reserve(wanted: length, minimum: length)
                : budget.reserve(wanted: length, minimum: min(length, 64 << 10), headroom: budget.limit / 4)
            else { return !isDemand }
            start(range.lowerBound..<(range.lowerBound + Int64(reservation.bytes)), reservation: reservation,
                  urgent: isDemand)
            if reservation.bytes < length || range != planned { break }
        }
        return coverage(from: readOffset) >= readEnd
    }

    /// Starts parts outside the budget for every byte of `readOffset..<readEnd` no part holds yet.
    private func startUnbudgeted(readOffset: Int64, readEnd: Int64) {
        var position = coverage(from: readOffset)
        while position < readEnd {
            let range = clipped(position..<readEnd)
            if !range.isEmpty { start(range, reservation: nil, urgent: true) }
            position = coverage(from: position)
        }
    }

    /// `range` cut short where an existing part begins (empty when one already holds its start).
    private func clipped(_ range: Range<Int64>) -> Range<Int64> {
        var upper = range.upperBound
        for part in parts {
            if part.range.contains(range.lowerBound) { return range.lowerBound..<range.lowerBound }
            if part.range.lowerBound > range.lowerBound { upper = min(upper, part.range.lowerBound) }
        }
        return range.lowerBound..<upper
    }

    /// One past the contiguous run of parts from `offset` (`offset` itself when none holds it).
    private func coverage(from offset: Int64) -> Int64 {
        var position = offset
        for part in parts where part.range.contains(position) { position = part.range.upperBound }
        return position
    }

    /// Starts fetching `range` on the pool into a buffer under `reservation` (nil: outside the budget).
    private func start(_ range: Range<Int64>, reservation: ReadBudget.Reservation?, urgent: Bool) {
        let part = Part(range: range)
        let index = parts.firstIndex { $0.range.lowerBound > range.lowerBound } ?? parts.count
        parts.insert(part, at: index)
        inFlight += 1
        fetchCount += 1
        fetchedBytes += Int64(range.count)
        let source = self.source
        pool.submit(urgent: urgent) { [self] in
            // Closed before this job's turn came: no request (a fetch nobody will read is waste,
            // and it would still be running, and counted, after the file was closed).
            condition.lock()
            if closed {
                part.error = FSError(EBADF)
                part.done = true
                inFlight -= 1
                condition.broadcast()
                condition.unlock()
                reservation?.release()
                return
            }
            condition.unlock()
            var failure: FSError?
            do throws(FSError) {
                let segment = try SegmentBuffer(offset: range.lowerBound, capacity: Int(range.count),
                                                reservation: reservation)
                condition.lock()
                part.buffer = segment
                condition.unlock()
                do {
                    try segment.fill { memory in
                        try source.fetch(offset: range.lowerBound, into: memory) { [self] final in arrived(final, in: part) }
                    }
                } catch {
                    throw FSError.from(error)
                }
            } catch {
                failure = error
            }
            condition.lock()
            if failure == nil, let count = part.buffer?.count { part.available = count }
            part.error = failure
            part.done = true
            inFlight -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Progress of a part's fetch: `final` bytes from its start may be read now.
    private func arrived(_ final: Int, in part: Part) {
        condition.lock()
        if final > part.available {
            part.available = final
            if part.usableEnd >= part.wakeAt {
                part.wakeAt = .max
                condition.broadcast()
            }
        }
        condition.unlock()
    }

    /// Bytes of one part a read may use: `buffer` holds valid data up to file offset `validEnd`.
    struct Piece {
        let buffer: SegmentBuffer
        let validEnd: Int64
        /// The part ended before its range did (end of file came early): nothing follows it.
        let short: Bool
    }

    /// Waits until the bytes of `offset..<end` have arrived; returns the pieces holding them in order
    /// and drops what the reader has left behind. Throws a part's error, or EAGAIN when a part vanished.
    private func waitForPieces(offset: Int64, end: Int64) throws(FSError) -> [Piece] {
        while true {
            guard !closed else { throw FSError(EBADF) }
            var pieces: [(Part, Piece)] = []
            var position = offset
            var pending = false
            while position < end {
                guard let part = parts.first(where: { $0.range.contains(position) }) else { throw FSError(EAGAIN) }
                let needed = min(end, part.range.upperBound)
                if let buffer = part.buffer, part.usableEnd >= needed {
                    pieces.append((part, Piece(buffer: buffer, validEnd: part.usableEnd, short: false)))
                    position = part.range.upperBound
                    continue
                }
                guard part.done else {
                    part.wakeAt = min(part.wakeAt, needed)
                    pending = true
                    break
                }
                guard part.error == nil, let buffer = part.buffer else {
                    parts.removeAll { $0 === part }
                    throw part.error ?? FSError(EIO)
                }
                // Done but short: the end of the file came before the end of the range.
                pieces.append((part, Piece(buffer: buffer, validEnd: part.usableEnd, short: true)))
                break
            }
            if pending {
                condition.wait()
                continue
            }
            for (part, _) in pieces {
                part.consumed += min(end, part.range.upperBound) - max(offset, part.range.lowerBound)
            }
            let behind = (window.readFrontier ?? 0) - window.backwardSlack
            parts.removeAll { $0.done && ($0.consumed >= Int64($0.range.count) || $0.range.upperBound <= behind) }
            return pieces.map(\.1)
        }
    }

    // MARK: - outside the lock

    private static func assemble(_ pieces: [Piece], offset: Int64, end: Int64,
                                 reply: (UnsafeRawBufferPointer) -> Void) throws(FSError) {
        if pieces.count == 1 {
            reply(pieces[0].buffer.bytes(from: offset, to: min(end, pieces[0].validEnd)))
            return
        }
        // Rare (parts end on MiB boundaries); mapped like a part so the memory goes back at once.
        let joined = try SegmentBuffer(offset: offset, capacity: Int(end - offset), reservation: nil)
        joined.fill { memory in
            var filled = 0
            for piece in pieces {
                let bytes = piece.buffer.bytes(from: offset + Int64(filled), to: min(end, piece.validEnd))
                guard bytes.count > 0, let base = bytes.baseAddress else { break }
                memory.baseAddress!.advanced(by: filled).copyMemory(from: base, byteCount: bytes.count)
                filled += bytes.count
                if piece.short { break }
            }
            return filled
        }
        reply(joined.bytes(from: offset, to: joined.end))
    }

    /// A read on the caller's thread, into memory mapped for it alone (returned to the system at once,
    /// where a malloc'ed MiB would stay in the thread's arena): only when a part vanished meanwhile.
    private func directRead(offset: Int64, end: Int64, reply: (UnsafeRawBufferPointer) -> Void) throws(FSError) {
        let segment = try SegmentBuffer(offset: offset, capacity: Int(end - offset), reservation: nil)
        do {
            try segment.fill { memory in try source.fetch(offset: offset, into: memory, progress: nil) }
        } catch {
            throw FSError.from(error)
        }
        reply(segment.bytes(from: offset, to: segment.end))
    }
}
