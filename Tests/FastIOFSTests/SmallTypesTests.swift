@testable import FastIOFS
import Foundation
import FastIO
import Testing

@Suite struct SmallTypesTests {
    @Test func errorsMapToErrno() {
        #expect(FSError.from(FSError(EACCES)).errno == EACCES)
        #expect(FSError.from(MockError(errno: ESTALE)).errno == ESTALE)
        #expect(FSError.from(FastIOError(kind: .api, httpStatus: 404, message: "gone")).errno == ENOENT)
        #expect(FSError.from(CocoaError(.fileNoSuchFile)).errno == EIO)
        #expect(FSError(ENOENT, detail: "x") == FSError(ENOENT))
    }

    @Test func layoutFollowsTheCommandLineRule() {
        #expect(MountLayout.from(workspaces: ["a"], shares: []) == .single(.workspace("a")))
        #expect(MountLayout.from(workspaces: [], shares: ["s"]) == .single(.share("s")))
        #expect(MountLayout.from(workspaces: [], shares: []) == .multi(workspaces: [], shares: []))
        #expect(MountLayout.from(workspaces: ["a"], shares: ["s"]) == .multi(workspaces: ["a"], shares: ["s"]))
    }

    @Test func budgetGrantsOnlyWhatIsFreeAndTakesItBack() {
        let budget = ReadBudget(limit: 1000)
        var first: ReadBudget.Reservation? = budget.reserve(wanted: 700, minimum: 700)
        #expect(first?.bytes == 700)
        #expect(budget.reserve(wanted: 400, minimum: 400) == nil)
        let partial = budget.reserve(wanted: 400, minimum: 100)
        #expect(partial?.bytes == 300)
        #expect(budget.reserved == 1000)
        partial?.release()
        partial?.release()  // idempotent
        #expect(budget.reserved == 700)
        first = nil  // deallocation gives the bytes back
        #expect(first == nil && budget.reserved == 0)
        #expect(budget.peakReserved == 1000)
    }

    @Test func budgetHoldsUnderContention() {
        let budget = ReadBudget(limit: 10_000)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for size in 1...500 {
                if let reservation = budget.reserve(wanted: size * 7, minimum: size) {
                    #expect(budget.reserved <= 10_000)
                    reservation.release()
                }
            }
        }
        #expect(budget.reserved == 0)
        #expect(budget.peakReserved <= 10_000)
    }

    /// A freed budgeted buffer's mapping serves the next reservation of its size (same memory, no
    /// fresh pages); idle mappings count against the limit and make room for new reservations; the
    /// last close gives them back.
    @Test func budgetReusesFreedMappingsWithinItsLimit() throws {
        let page = 1 << 16
        let budget = ReadBudget(limit: 4 * page)
        var first: SegmentBuffer? = try SegmentBuffer(offset: 0, capacity: page,
                                                      reservation: budget.reserve(wanted: page, minimum: page))
        let firstAddress = first!.bytes(from: 0, to: Int64(page)).baseAddress
        first = nil
        #expect(budget.reserved == 0 && budget.idleBytes == page)

        // Another size does not take it; the same size does.
        let other = try SegmentBuffer(offset: 0, capacity: 2 * page,
                                      reservation: budget.reserve(wanted: 2 * page, minimum: 2 * page))
        #expect(other.bytes(from: 0, to: Int64(2 * page)).baseAddress != firstAddress)
        #expect(budget.idleBytes == page)
        var second: SegmentBuffer? = try SegmentBuffer(offset: 0, capacity: page,
                                                       reservation: budget.reserve(wanted: page, minimum: page))
        #expect(second!.bytes(from: 0, to: Int64(page)).baseAddress == firstAddress)
        #expect(budget.idleBytes == 0 && budget.reserved == 3 * page)
        second = nil

        // Reservations never wait for idle mappings: they are unmapped to make room.
        let rest = budget.reserve(wanted: 2 * page, minimum: 2 * page)
        #expect(rest?.bytes == 2 * page)
        #expect(budget.reserved + budget.idleBytes <= budget.limit)
        #expect(budget.idleBytes == 0)
        rest?.release()
        withExtendedLifetime(other) {}  // alive until here: its reservation shaped the figures above
    }

    @Test func idleMappingsGoBackWhenTheBudgetIsUnused() throws {
        let budget = ReadBudget(limit: 1 << 20)
        var buffer: SegmentBuffer? = try SegmentBuffer(offset: 0, capacity: 1 << 16,
                                                       reservation: budget.reserve(wanted: 1 << 16, minimum: 1 << 16))
        let held = budget.reserve(wanted: 4096, minimum: 4096)
        buffer = nil
        budget.dropIdleMappingsIfUnused()
        #expect(budget.idleBytes == 1 << 16)  // a reservation is live: kept
        held?.release()
        budget.dropIdleMappingsIfUnused()
        #expect(budget.idleBytes == 0 && buffer == nil)
        // A reservation that never took the mapping it carried unmaps it (nothing leaks or double-counts).
        var again: SegmentBuffer? = try SegmentBuffer(offset: 0, capacity: 1 << 16,
                                                      reservation: budget.reserve(wanted: 1 << 16, minimum: 1 << 16))
        again = nil
        #expect(budget.idleBytes == 1 << 16 && again == nil)
        var untaken = budget.reserve(wanted: 1 << 16, minimum: 1 << 16)
        #expect(budget.idleBytes == 0)
        untaken = nil
        #expect(budget.reserved == 0 && budget.idleBytes == 0 && untaken == nil)
    }

    @Test func inodeNumbersAreDeterministicAndNeverReserved() {
        let a = InodeHasher.inode(forKey: "workspace/1/2abc")
        #expect(a == InodeHasher.inode(forKey: "workspace/1/2abc"))
        #expect(a != InodeHasher.inode(forKey: "share/1/2abc"))
        #expect(a != InodeHasher.inode(forKey: "workspace/1/2abc", attempt: 1))
        for index in 0..<10_000 { #expect(InodeHasher.inode(forKey: "k\(index)") > 1) }
    }
}
