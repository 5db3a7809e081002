/// The adaptive read-ahead decision of one open handle, as a pure state machine.
///
/// Behaviour: the first read fetches `initial` bytes past its end; each sequential read (one that
/// starts at most `backwardSlack` behind the furthest byte read so far and at most the larger of the
/// window and `forwardSlack` past it) doubles the window up to `maximum`; a read outside that span is
/// a far seek and resets the window to `initial`. `forwardSlack` covers the kernel's own readahead:
/// its reads of one sequential stream arrive in parallel, in any order, across that many bytes. Read-ahead is issued
/// only once less than half the window is left ahead of the reader (so requests stay large), split
/// into parts of at most `maxPart` bytes, at most `maxInFlight` at a time.
///
/// Invariants: `initial <= size <= maximum`; planned ranges are contiguous, non-empty, start at
/// the end of what already covers the read, end at or before the file size, and each is
/// at most `maxPart` long (one MiB more with `alignParts`, whose parts end on MiB boundaries); offsets
/// and sizes up to `Int64.max` never overflow (sums saturate).
public struct PrefetchWindow: Sendable, Equatable {
    public enum Access: Sendable, Equatable { case first, sequential, farSeek }

    public let initial: Int
    public let maximum: Int
    public let maxPart: Int
    public let maxInFlight: Int
    /// Every part ends on a MiB boundary (or at the target): what the read cache's blocks need, so a
    /// sequential read stores every block it fetched.
    public let alignParts: Bool
    static let alignment: Int64 = 1 << 20

    /// The current window, in bytes.
    public private(set) var size: Int
    /// One past the furthest byte read so far (nil before the first read).
    public private(set) var readFrontier: Int64?
    /// Bytes a read may start behind the frontier and still count as sequential (kernel reads run in
    /// parallel and arrive slightly out of order).
    public let backwardSlack: Int64
    /// Bytes a read may start past the frontier and still count as sequential, whatever the window.
    public let forwardSlack: Int64

    public init(initial: Int = 256 << 10, maximum: Int = 32 << 20, maxPart: Int = 8 << 20, maxInFlight: Int = 4,
                backwardSlack: Int64 = 4 << 20, forwardSlack: Int64 = 0, alignParts: Bool = false) {
        self.alignParts = alignParts
        self.initial = max(4096, initial)
        self.maximum = max(self.initial, maximum)
        self.maxPart = max(self.initial, maxPart)
        self.maxInFlight = max(1, maxInFlight)
        self.size = self.initial
        self.forwardSlack = max(0, forwardSlack)
        // Reads of the readahead span arrive in any order: a late one may be that far behind.
        self.backwardSlack = max(backwardSlack, self.forwardSlack)
    }

    /// Classifies the read of `length` bytes at `offset` and adapts the window.
    public mutating func observe(offset: Int64, length: Int) -> Access {
        let end = offset.saturatingAdd(Int64(length))
        guard let frontier = readFrontier else {
            readFrontier = end
            return .first
        }
        if offset >= frontier.saturatingAdd(-backwardSlack) && offset <= frontier.saturatingAdd(max(Int64(size), forwardSlack)) {
            size = min(maximum, size * 2)
            readFrontier = max(frontier, end)
            return .sequential
        }
        size = initial
        readFrontier = end
        return .farSeek
    }

    /// The ranges to fetch now for a read of `readOffset..<readEnd`, given that bytes
    /// `readOffset..<coveredUntil` are already fetched or in flight (`coveredUntil == readOffset` when
    /// nothing covers the read's start), `inFlight` parts are running, and the file has `fileSize` bytes.
    /// Parts needed by the read itself are always planned; read-ahead parts only within the free slots.
    public func plan(readOffset: Int64, readEnd: Int64, coveredUntil: Int64, inFlight: Int,
                     fileSize: Int64) -> [Range<Int64>] {
        let start = max(readOffset, coveredUntil)
        let needed = min(readEnd, fileSize)
        var target = min(fileSize, readEnd.saturatingAdd(Int64(size)))
        // The window's far end on a MiB boundary too, so the next plan starts on one.
        if alignParts, target < fileSize, target % Self.alignment != 0 {
            target = min(fileSize, target.nextMultiple(of: Self.alignment))
        }
        guard start < target else { return [] }
        let demand = start < needed
        // Hysteresis: with the read covered, wait until less than half the window is left ahead.
        if !demand && start - readEnd >= Int64(size / 2) { return [] }
        let slots = maxInFlight - inFlight
        let partSize = Int64(min(maxPart, max(initial, size / maxInFlight)))
        var ranges: [Range<Int64>] = []
        var cursor = start
        while cursor < target && (cursor < needed || ranges.count < slots) {
            var end = min(target, cursor.saturatingAdd(partSize))
            // A small tail joins this part rather than costing a request of its own.
            if target - end < partSize / 4 && target - cursor <= Int64(maxPart) { end = target }
            // Parts end on a MiB boundary when they can: the kernel's (aligned) reads of up to 1 MiB
            // then fall within one part and are answered without joining two.
            let aligned = end / Self.alignment * Self.alignment
            if end < target && aligned > cursor && aligned >= needed {
                end = aligned
            } else if alignParts && end < target && end % Self.alignment != 0 {
                end = min(target, end.nextMultiple(of: Self.alignment))
            }
            ranges.append(cursor..<end)
            cursor = end
        }
        return ranges
    }
}
