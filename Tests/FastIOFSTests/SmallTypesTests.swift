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

    @Test func inodeNumbersAreDeterministicAndNeverReserved() {
        let a = InodeHasher.inode(forKey: "workspace/1/2abc")
        #expect(a == InodeHasher.inode(forKey: "workspace/1/2abc"))
        #expect(a != InodeHasher.inode(forKey: "share/1/2abc"))
        #expect(a != InodeHasher.inode(forKey: "workspace/1/2abc", attempt: 1))
        for index in 0..<10_000 { #expect(InodeHasher.inode(forKey: "k\(index)") > 1) }
    }
}
