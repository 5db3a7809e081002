import FastIO
@testable import FastIOFS
import Foundation
import Testing

@Suite struct ReadTests {
    let MiB = 1 << 20

    @Test func contentIsExactAtEveryKindOfOffset() throws {
        let fixture = Fixture(bigSize: 20 * MiB + 12_345)
        let fs = try fixture.mount(maxWindow: 4 << 20)
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let size = Int64(fixture.big.count)
        let cases: [(Int64, Int)] = [
            (0, 4096), (1, 100), (4095, 3), (131_071, 65_537), (Int64(MiB) - 10, 20), // unaligned, small
            (Int64(2 * MiB) - 7, MiB + 14),  // across part boundaries
            (size - 100, 100), (size - 50, 4096),  // up to and across EOF
            (size, 4096), (size + 10_000, 1),  // at and past EOF
            (Int64(7 * MiB), 3 * MiB),  // larger than a part
        ]
        for (offset, length) in cases {
            let handle = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
            let got = try readBytes(fs, ino: ino, handle: handle, offset: offset, size: length)
            let start = Int(min(offset, size)), end = Int(min(offset + Int64(length), size))
            #expect(got == Array(fixture.big[start..<end]), "offset \(offset) length \(length)")
            fs.release(ino: ino, handle: handle)
        }
    }

    @Test func sequentialReadMatchesAndPrefetchesInLargeRequests() throws {
        let fixture = Fixture(bigSize: 24 * MiB + 999)
        let fs = try fixture.mount(maxWindow: 8 << 20)
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let handle = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
        var all: [UInt8] = []
        var offset: Int64 = 0
        while true {
            let chunk = try readBytes(fs, ino: ino, handle: handle, offset: offset, size: 128 << 10)
            if chunk.isEmpty { break }
            all += chunk
            offset += Int64(chunk.count)
        }
        #expect(all == fixture.big)
        let reads = fixture.api.count("GET storage/read")
        #expect(reads < all.count / (128 << 10) / 4, "prefetch should use far fewer requests than reads (\(reads))")
        fs.release(ino: ino, handle: handle)
        #expect(fs.budget.reserved == 0)
    }

    @Test func concurrentReadersShareTheBudgetWithoutExceedingIt() throws {
        let fixture = Fixture(bigSize: 16 * MiB + 3)
        let fs = try fixture.mount(budget: 6 << 20, maxWindow: 4 << 20)
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            do {
                let handle = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
                defer { fs.release(ino: ino, handle: handle) }
                var offset = Int64(worker * 1000)
                while offset < Int64(fixture.big.count) {
                    let got = try readBytes(fs, ino: ino, handle: handle, offset: offset, size: 256 << 10)
                    let end = min(fixture.big.count, Int(offset) + (256 << 10))
                    if got != Array(fixture.big[Int(offset)..<end]) { failures.withLock { $0 += 1 } }
                    offset += Int64(got.count)
                }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(fs.budget.peakReserved <= 6 << 20)
        #expect(fs.budget.peakReserved > 0)
        #expect(fs.budget.reserved == 0)
    }

    @Test func parallelReadsOfOneHandleAreExact() throws {
        let fixture = Fixture(bigSize: 8 * MiB)
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let handle = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
        let mismatches = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 64) { index in  // like the kernel's async readahead
            let offset = Int64(index) * (128 << 10)
            let got = try? readBytes(fs, ino: ino, handle: handle, offset: offset, size: 128 << 10)
            if got != Array(fixture.big[Int(offset)..<Int(offset) + (128 << 10)]) { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
        fs.release(ino: ino, handle: handle)
    }

    @Test func exhaustedBudgetFetchesTheReadOutsideIt() throws {
        let fixture = Fixture(bigSize: 4 * MiB)
        let fs = try fixture.mount(budget: 1 << 20, maxWindow: 1 << 20)
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        // A first read fetches 256 KiB past its end: three hogs hold 3 x 260 KiB of the 1 MiB, and the
        // other read's first part (256 KiB) does not fit in the rest.
        var hogs: [UInt64] = []
        for index in 0..<3 {
            let hog = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
            _ = try readBytes(fs, ino: ino, handle: hog, offset: Int64(index * MiB), size: 4096)
            hogs.append(hog)
        }
        let other = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
        let got = try readBytes(fs, ino: ino, handle: other, offset: Int64(3 * MiB), size: 64 << 10)
        #expect(got == Array(fixture.big[(3 * MiB)..<(3 * MiB + (64 << 10))]))
        #expect(fs.budget.peakReserved <= 1 << 20)
        #expect(fs.handles.file(other)?.statistics.unbudgetedReads == 1)
        for handle in hogs + [other] { fs.release(ino: ino, handle: handle) }
    }

    @Test func handleKeepsReadingTheVersionItOpened() throws {
        let fixture = Fixture(bigSize: 2 * MiB)
        let fs = try fixture.mount(maxWindow: 256 << 10, ttl: 0)
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let opened = try fs.open(ino: ino, flags: O_RDONLY, context: reader)
        #expect(!opened.keepCache)
        let head = try readBytes(fs, ino: ino, handle: opened.handle, offset: 0, size: 1000)
        let replacement = randomBytes(3 * MiB, seed: 7)
        fixture.api.replaceContent(fixture.alpha, id: fixture.bigID, bytes: replacement)
        let tail = try readBytes(fs, ino: ino, handle: opened.handle, offset: Int64(MiB) + 5, size: 100_000)
        #expect(head == Array(fixture.big[0..<1000]))
        #expect(tail == Array(fixture.big[(MiB + 5)..<(MiB + 5 + 100_000)]))
        #expect(try readBytes(fs, ino: ino, handle: opened.handle, offset: Int64(2 * MiB), size: 10).isEmpty)
        fs.release(ino: ino, handle: opened.handle)

        let reopened = try fs.open(ino: ino, flags: O_RDONLY, context: reader)
        #expect(!reopened.keepCache)  // the version changed since the last open
        let fresh = try readBytes(fs, ino: ino, handle: reopened.handle, offset: Int64(2 * MiB), size: 10)
        #expect(fresh == Array(replacement[(2 * MiB)..<(2 * MiB + 10)]))
        fs.release(ino: ino, handle: reopened.handle)
        let third = try fs.open(ino: ino, flags: O_RDONLY, context: reader)
        #expect(third.keepCache)  // unchanged since the previous open
        fs.release(ino: ino, handle: third.handle)
    }

    @Test func rereadingAnUnchangedFileKeepsTheCacheAndSendsNoRequest() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/docs/a.txt").attributes.ino
        let first = try fs.open(ino: ino, flags: O_RDONLY, context: reader)
        #expect(try readBytes(fs, ino: ino, handle: first.handle, offset: 0, size: 4096) == Array("hello\n".utf8))
        fs.release(ino: ino, handle: first.handle)
        let before = fixture.api.totalRequests
        let second = try fs.open(ino: ino, flags: O_RDONLY, context: reader)
        #expect(second.keepCache)
        fs.release(ino: ino, handle: second.handle)
        #expect(fixture.api.totalRequests == before)
    }

    @Test func serverErrorsBecomeErrnoWithoutHanging() throws {
        let fixture = Fixture(bigSize: 4 * MiB)
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let handle = try fs.open(ino: ino, flags: O_RDONLY, context: reader).handle
        fixture.api.failReads(with: EIO)
        let outcome = Locked<Int32?>(nil)
        let finished = finishes(within: 10) {
            do {
                _ = try readBytes(fs, ino: ino, handle: handle, offset: 0, size: 4096)
                outcome.withLock { $0 = 0 }
            } catch {
                outcome.withLock { $0 = FSError.from(error).errno }
            }
        }
        #expect(finished)
        #expect(outcome.withLock { $0 } == EIO)
        // Prefetched parts that failed are dropped: once the server recovers, the same read succeeds.
        fixture.api.failReads(with: nil)
        #expect(try readBytes(fs, ino: ino, handle: handle, offset: 0, size: 4096) == Array(fixture.big[0..<4096]))
        fixture.api.failReads(with: ETIMEDOUT)
        #expect(throws: FSError(ETIMEDOUT)) { try readBytes(fs, ino: ino, handle: handle, offset: Int64(3 * MiB), size: 10) }
        fs.release(ino: ino, handle: handle)
    }

    @Test func slowServerDoesNotSerializeHandles() throws {
        let fixture = Fixture(bigSize: 2 * MiB)
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        fixture.api.delayReads(seconds: 0.2)
        let start = Date()
        // Four threads of their own (concurrentPerform would run only one per core: two here).
        let group = DispatchGroup()
        for index in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let handle = try? fs.open(ino: ino, flags: O_RDONLY, context: reader).handle else { return }
                _ = try? readBytes(fs, ino: ino, handle: handle, offset: Int64(index) * 400_000, size: 4096)
                fs.release(ino: ino, handle: handle)
            }.start()
        }
        group.wait()
        #expect(Date().timeIntervalSince(start) < 0.7, "four 0.2 s reads in parallel, not one after another")
    }

    @Test func closedOrUnknownHandlesFail() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        #expect(throws: FSError(EBADF)) { try readBytes(fs, ino: ino, handle: 999, offset: 0, size: 1) }
        let dir = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        #expect(throws: FSError(EISDIR)) { try fs.open(ino: dir, flags: O_RDONLY, context: reader) }
    }
}
