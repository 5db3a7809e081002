import FastIO
import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct Concurrency {
        /// libfuse 3.14's default loop has 10 workers, so blocking (network) reads would queue behind
        /// each other. The session runs 64: 24 slow reads must all be in the filesystem at once.
        @Test func slowReadsOverlapBeyondLibfuseDefaultWorkerCount() throws {
            try FuseMountTests.withMount { mount, filesystem in
                let readers = 24
                filesystem.readGate.withLock { $0.target = readers }
                let group = DispatchGroup()
                let failures = Locked(0)
                for index in 0..<readers {
                    let path = mount.url("big/" + InMemoryFilesystem.bigEntryName(index))
                    group.enter()
                    // One thread per reader: Dispatch's pool would itself cap how many block at once.
                    Thread {
                        let bytes = try? Read.pread(path, offset: 0, count: 10)
                        if bytes != Array(repeating: UInt8(ascii: "x"), count: 10) { failures.withLock { $0 += 1 } }
                        group.leave()
                    }.start()
                }
                #expect(group.wait(timeout: .now() + 30) == .success)
                #expect(failures.withLock { $0 } == 0)
                #expect(filesystem.readGate.withLock { $0.maxInFlight } == readers)
            }
        }
    }
}
