@testable import FastIOFS
import Testing

@Suite struct PrefetchWindowTests {
    let MiB = 1 << 20

    @Test func growsOnSequentialReadsUpToTheCap() {
        var window = PrefetchWindow(initial: 256 << 10, maximum: 4 << 20)
        #expect(window.observe(offset: 0, length: 128 << 10) == .first)
        #expect(window.size == 256 << 10)
        var offset: Int64 = 128 << 10
        var sizes: [Int] = []
        for _ in 0..<6 {
            #expect(window.observe(offset: offset, length: 128 << 10) == .sequential)
            sizes.append(window.size)
            offset += 128 << 10
        }
        #expect(sizes == [512 << 10, 1 << 20, 2 << 20, 4 << 20, 4 << 20, 4 << 20])
    }

    @Test func farSeekResetsToTheInitialWindow() {
        var window = PrefetchWindow(initial: 256 << 10, maximum: 32 << 20)
        _ = window.observe(offset: 0, length: MiB)
        for step in 1..<5 { _ = window.observe(offset: Int64(step * MiB), length: MiB) }
        #expect(window.size == 4 << 20)
        #expect(window.observe(offset: 900 << 20, length: 4096) == .farSeek)
        #expect(window.size == 256 << 10)
        let expectedFrontier: Int64 = (900 << 20) + 4096
        #expect(window.readFrontier == expectedFrontier)
        // Backwards beyond the slack is a far seek too.
        #expect(window.observe(offset: 10 << 20, length: 4096) == .farSeek)
    }

    @Test func slightlyOutOfOrderReadsStaySequential() {
        var window = PrefetchWindow(initial: 256 << 10, maximum: 32 << 20)
        _ = window.observe(offset: 0, length: MiB)
        _ = window.observe(offset: Int64(MiB), length: MiB)
        _ = window.observe(offset: 2 * Int64(MiB), length: MiB)
        #expect(window.size == MiB)
        // Parallel kernel reads: the one after next arrives first, then the skipped one.
        #expect(window.observe(offset: 4 * Int64(MiB), length: MiB) == .sequential)
        #expect(window.observe(offset: 3 * Int64(MiB), length: MiB) == .sequential)
        #expect(window.readFrontier == 5 * Int64(MiB))
    }

    @Test func readsSpreadOverTheKernelsReadaheadAreOneStream() {
        // The kernel reads 16 MiB ahead in 1 MiB requests, in parallel: they arrive in any order.
        var window = PrefetchWindow(initial: 256 << 10, maximum: 32 << 20, forwardSlack: 16 << 20)
        #expect(window.observe(offset: 0, length: MiB) == .first)
        for step in [9, 3, 15, 1, 12, 2, 6] {
            #expect(window.observe(offset: Int64(step * MiB), length: MiB) == .sequential, "read at \(step) MiB")
        }
        #expect(window.size == 32 << 20)
        #expect(window.readFrontier == Int64(16 * MiB))
        // Beyond the readahead span (and the window): a seek.
        #expect(window.observe(offset: Int64(100 * MiB), length: MiB) == .farSeek)
        // Without the slack, the same first jump resets the window.
        var strict = PrefetchWindow(initial: 256 << 10, maximum: 32 << 20)
        _ = strict.observe(offset: 0, length: MiB)
        #expect(strict.observe(offset: Int64(9 * MiB), length: MiB) == .farSeek)
    }

    @Test func smallRandomReadsFetchOnlyTheInitialWindow() {
        var window = PrefetchWindow(initial: 256 << 10, maximum: 32 << 20)
        let fileSize: Int64 = 1 << 30
        for offset in [Int64(500 << 20), 3 << 20, 800 << 20, 100 << 20] {
            _ = window.observe(offset: offset, length: 4096)
            let plan = window.plan(readOffset: offset, readEnd: offset + 4096, coveredUntil: offset, inFlight: 0,
                                   fileSize: fileSize)
            #expect(plan == [offset..<(offset + 4096 + (256 << 10))])
        }
    }

    @Test func plansPartsWithinLimitsAndHysteresis() {
        var window = PrefetchWindow(initial: 256 << 10, maximum: 32 << 20, maxPart: 8 << 20, maxInFlight: 4)
        _ = window.observe(offset: 0, length: MiB)
        for step in 1..<10 { _ = window.observe(offset: Int64(step * MiB), length: MiB) }
        #expect(window.size == 32 << 20)
        let readOffset = Int64(9 * MiB), readEnd = Int64(10 * MiB)
        let plan = window.plan(readOffset: readOffset, readEnd: readEnd, coveredUntil: readEnd, inFlight: 0,
                               fileSize: 1 << 30)
        #expect(plan.count == 4)
        #expect(plan.allSatisfy { $0.count <= 8 << 20 })
        #expect(plan.first?.lowerBound == readEnd)
        for (a, b) in zip(plan, plan.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        // Enough ahead (more than half the window): nothing new.
        #expect(window.plan(readOffset: readOffset, readEnd: readEnd, coveredUntil: readEnd + Int64(20 * MiB),
                            inFlight: 2, fileSize: 1 << 30).isEmpty)
        // All slots busy: read-ahead waits, but bytes the read needs are always planned.
        #expect(window.plan(readOffset: readOffset, readEnd: readEnd, coveredUntil: readEnd, inFlight: 4,
                            fileSize: 1 << 30).isEmpty)
        let demand = window.plan(readOffset: readOffset, readEnd: readEnd, coveredUntil: readOffset, inFlight: 4,
                                 fileSize: 1 << 30)
        #expect(demand.first?.lowerBound == readOffset)
        #expect((demand.last?.upperBound ?? 0) >= readEnd)
    }

    @Test func partsEndOnMiBBoundariesSoKernelReadsFitInOne() {
        var window = PrefetchWindow(initial: 256 << 10, maximum: 16 << 20, maxPart: 8 << 20, maxInFlight: 4)
        _ = window.observe(offset: 0, length: MiB)
        for step in 1..<8 { _ = window.observe(offset: Int64(step * MiB), length: MiB) }
        // Covered up to an unaligned offset (the first part was read + 256 KiB).
        let covered = Int64(8 * MiB + (256 << 10))
        let plan = window.plan(readOffset: Int64(7 * MiB), readEnd: Int64(8 * MiB), coveredUntil: covered,
                               inFlight: 0, fileSize: 1 << 30)
        #expect(plan.first?.lowerBound == covered)
        #expect(plan.dropLast().allSatisfy { $0.upperBound % Int64(MiB) == 0 }, "\(plan)")
        for (a, b) in zip(plan, plan.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
    }

    @Test func neverPlansPastTheEndOfTheFile() {
        var window = PrefetchWindow()
        _ = window.observe(offset: 1000, length: 5000)
        let plan = window.plan(readOffset: 1000, readEnd: 6000, coveredUntil: 1000, inFlight: 0, fileSize: 7000)
        #expect(plan == [1000..<7000])
        #expect(window.plan(readOffset: 7000, readEnd: 7000, coveredUntil: 7000, inFlight: 0, fileSize: 7000).isEmpty)
    }
}
