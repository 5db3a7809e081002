import FastIO
@testable import FastIOFS
import Foundation
import Testing

@Suite struct ReadOnlyTests {
    /// Writable mounts are covered by the write-path suites (WritePathTests).
    @Test(arguments: [true])
    func everyWriteOperationFailsWithoutARequest(readOnly: Bool) throws {
        let fixture = Fixture()
        let fs = try fixture.mount(readOnly: readOnly)
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let file = try resolve(fs, "workspaces/alpha/docs/a.txt").attributes.ino
        let before = fixture.api.totalRequests
        let erofs = FSError(EROFS)
        #expect(throws: erofs) { try fs.create(parent: docs, name: "n", mode: 0o644, flags: O_WRONLY, context: reader) }
        #expect(throws: erofs) { try fs.mknod(parent: docs, name: "n", mode: UInt32(S_IFREG) | 0o644, context: reader) }
        #expect(throws: erofs) { try fs.mkdir(parent: docs, name: "d", mode: 0o755, context: reader) }
        #expect(throws: erofs) { try fs.unlink(parent: docs, name: "a.txt") }
        #expect(throws: erofs) { try fs.rmdir(parent: 1, name: "docs") }
        #expect(throws: erofs) { try fs.rename(parent: docs, name: "a.txt", newParent: docs, newName: "b", flags: 0) }
        #expect(throws: erofs) { try fs.setattr(ino: file, changes: AttributeChanges(size: 0), context: reader) }
        #expect(throws: erofs) { try fs.write(ino: file, handle: 1, offset: 0, data: UnsafeRawBufferPointer(start: nil, count: 0)) }
        #expect(throws: erofs) { try fs.setxattr(ino: file, name: "user.x", value: UnsafeRawBufferPointer(start: nil, count: 0), flags: 0) }
        #expect(throws: erofs) { try fs.removexattr(ino: file, name: "user.x") }
        for flags in [O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_APPEND] {
            #expect(throws: erofs) { try fs.open(ino: file, flags: flags, context: reader) }
        }
        let linkError = readOnly ? erofs : FSError(EPERM)
        #expect(throws: linkError) { try fs.symlink(target: "x", parent: docs, name: "l", context: reader) }
        #expect(throws: linkError) { try fs.link(ino: file, newParent: docs, newName: "h") }
        #expect(fixture.api.totalRequests == before)
    }
}

@Suite struct XattrTests {
    @Test func nodeAttributesAreExposedReadOnly() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let text = { (name: String) throws(FSError) -> String in String(decoding: try fs.getxattr(ino: ino, name: name), as: UTF8.self) }
        #expect(try text("user.fastio.id") == fixture.bigID)
        let details = try fixture.api.nodeDetails(fixture.alpha, nodeID: fixture.bigID)
        #expect(try text("user.fastio.version") == details.version)
        #expect(try text("user.fastio.hash") == details.hash)
        #expect(try text("user.fastio.hash_algo") == "sha256")
        #expect(try text("user.fastio.mimetype") == "application/octet-stream")
        #expect(try fs.listxattr(ino: ino) == ["user.fastio.hash", "user.fastio.hash_algo", "user.fastio.id",
                                              "user.fastio.mimetype", "user.fastio.version"])
        #expect(throws: FSError(ENODATA)) { try fs.getxattr(ino: ino, name: "user.fastio.nope") }
        #expect(throws: FSError(ENODATA)) { try fs.getxattr(ino: ino, name: "security.selinux") }

        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        #expect(try fs.listxattr(ino: docs) == ["user.fastio.id"])
        #expect(throws: FSError(ENODATA)) { try fs.getxattr(ino: docs, name: "user.fastio.hash") }
    }

    @Test func idNeedsNoRequestAndDetailsAreCached() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let before = fixture.api.count("GET storage/details")
        _ = try fs.getxattr(ino: ino, name: "user.fastio.id")
        #expect(fixture.api.count("GET storage/details") == before)
        _ = try fs.listxattr(ino: ino)
        _ = try fs.getxattr(ino: ino, name: "user.fastio.hash")
        _ = try fs.getxattr(ino: ino, name: "user.fastio.mimetype")
        #expect(fixture.api.count("GET storage/details") == before + 1)
    }

    @Test func rootExposesRequestCounters() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        _ = try listAll(fs, try resolve(fs, "workspaces/alpha").attributes.ino)
        #expect(try fs.listxattr(ino: 1) == ["user.fastio.read_cache", "user.fastio.requests", "user.fastio.requests_in_flight", "user.fastio.status"])
        let json = try fs.getxattr(ino: 1, name: "user.fastio.requests")
        let counts = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Int]
        #expect(counts?["GET storage/list"] == fixture.api.count("GET storage/list"))
        #expect((counts?["GET storage/list"] ?? 0) >= 1)
    }
}
