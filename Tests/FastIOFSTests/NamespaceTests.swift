import FastIO
@testable import FastIOFS
import Foundation
import Testing

@Suite struct NamespaceTests {
    @Test func multiLayoutShowsWorkspacesAndShares() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        #expect(try listAll(fs, 1).map(\.name) == [".", "..", "workspaces", "shares"])
        let workspaces = try fs.lookup(parent: 1, name: "workspaces")
        #expect(try listAll(fs, workspaces.attributes.ino).map(\.name) == [".", "..", "alpha"])
        let shares = try fs.lookup(parent: 1, name: "shares")
        #expect(try listAll(fs, shares.attributes.ino).map(\.name) == [".", "..", "beta"])
        let alpha = try resolve(fs, "workspaces/alpha")
        #expect(try listAll(fs, alpha.attributes.ino).map(\.name) == [".", "..", "docs", "big.bin", "notes.md"])
        #expect(try resolve(fs, "shares/beta/shared.txt").attributes.size == 7)
    }

    @Test func singleLayoutRootIsTheStorageRoot() throws {
        let fixture = Fixture()
        let fs = try fixture.mount(.single(.workspace("alpha")))
        defer { fs.destroy() }
        #expect(try listAll(fs, 1).map(\.name) == [".", "..", "docs", "big.bin", "notes.md"])
        let byID = try fixture.mount(.single(.workspace(fixture.alpha.id)))
        defer { byID.destroy() }
        #expect(try byID.lookup(parent: 1, name: "big.bin").attributes.size == UInt64(fixture.big.count))
    }

    @Test func namedProfilesOnlyAndUnknownNamesFailClearly() throws {
        let fixture = Fixture()
        let fs = try fixture.mount(.multi(workspaces: [], shares: ["beta"]))
        defer { fs.destroy() }
        #expect(try listAll(fs, try resolve(fs, "workspaces").attributes.ino).count == 2)
        #expect(try listAll(fs, try resolve(fs, "shares").attributes.ino).map(\.name).last == "beta")
        do {
            _ = try fixture.mount(.single(.workspace("nope")))
            Issue.record("mounting an unknown workspace must fail")
        } catch let error as FSError {
            #expect(error.errno == ENOENT)
            #expect(error.description.contains("nope"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: FSError(ENOENT)) { try fixture.mount(.multi(workspaces: [], shares: ["missing"])) }
    }

    @Test func attributesFollowTheNodeAndTheConfiguration() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let file = try resolve(fs, "workspaces/alpha/big.bin").attributes
        #expect(file.mode == UInt32(S_IFREG) | 0o644)
        #expect(file.uid == 1000 && file.gid == 1000 && file.nlink == 1)
        #expect(file.size == UInt64(fixture.big.count))
        #expect(file.mtime == FSTime(seconds: 1_700_000_123, nanoseconds: 500_000_000))
        #expect(file.ctime == file.mtime && file.atime == file.mtime)
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes
        #expect(docs.mode == UInt32(S_IFDIR) | 0o755 && docs.nlink == 2)
        #expect(try resolve(fs, "workspaces/alpha/notes.md").attributes.mode & UInt32(S_IFMT) == UInt32(S_IFREG))
        #expect(try fs.getattr(ino: 1).0.mode == UInt32(S_IFDIR) | 0o555)

        let readOnly = try fixture.mount(readOnly: true)
        defer { readOnly.destroy() }
        #expect(try resolve(readOnly, "workspaces/alpha/big.bin").attributes.mode == UInt32(S_IFREG) | 0o444)
        #expect(try resolve(readOnly, "workspaces/alpha/docs").attributes.mode == UInt32(S_IFDIR) | 0o555)
    }

    @Test func umaskApplies() throws {
        let fixture = Fixture()
        let configuration = MountConfiguration(mountpoint: "/m", uid: 5, gid: 6, umask: 0o077,
                                               cacheDirectory: temporaryCacheDirectory())
        let fs = try FastIOFileSystem(api: fixture.api, configuration: configuration, logger: testLogger)
        defer { fs.destroy() }
        let file = try resolve(fs, "workspaces/alpha/big.bin").attributes
        #expect(file.mode == UInt32(S_IFREG) | 0o600 && file.uid == 5 && file.gid == 6)
    }

    @Test func inodesAreStableAcrossMounts() throws {
        let fixture = Fixture()
        let first = try fixture.mount()
        let second = try fixture.mount()
        defer { first.destroy(); second.destroy() }
        for path in ["workspaces", "shares", "workspaces/alpha", "workspaces/alpha/docs/a.txt",
                     "workspaces/alpha/big.bin", "shares/beta/shared.txt"] {
            let a = try resolve(first, path).attributes.ino
            let b = try resolve(second, path).attributes.ino
            #expect(a == b, "\(path)")
            #expect(a > 1)
        }
        // Resolved in another order in a third mount: still the same numbers.
        let third = try fixture.mount()
        defer { third.destroy() }
        #expect(try resolve(third, "shares/beta/shared.txt").attributes.ino
                == resolve(first, "shares/beta/shared.txt").attributes.ino)
    }

    @Test func lookupCountsAndForget() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let alpha = try resolve(fs, "workspaces/alpha").attributes.ino
        let before = fs.nodes.count
        let first = try fs.lookup(parent: alpha, name: "big.bin").attributes.ino
        _ = try fs.lookup(parent: alpha, name: "big.bin")
        #expect(fs.nodes.record(first)?.lookups == 2)
        #expect(fs.nodes.count == before + 1)
        fs.forget(ino: first, lookups: 1)
        #expect(fs.nodes.record(first)?.lookups == 1)
        fs.forget(ino: first, lookups: 1)
        #expect(fs.nodes.record(first) == nil)
        #expect(throws: FSError(ENOENT)) { try fs.getattr(ino: first) }
        // The root and the layout directories are never dropped.
        fs.forget(ino: 1, lookups: 5)
        fs.forget(ino: alpha, lookups: 100)
        #expect(fs.nodes.record(1) != nil && fs.nodes.record(alpha) != nil)
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: alpha, name: "missing") }
        let fileIno = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        #expect(fileIno == first)  // same inode again after being forgotten
        #expect(throws: FSError(ENOTDIR)) { try fs.lookup(parent: fileIno, name: "x") }
    }

    @Test func linksAreSymlinksIntoShares() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let link = try resolve(fs, "workspaces/alpha/docs/to-beta")
        #expect(link.attributes.mode == UInt32(S_IFLNK) | 0o777)
        let target = try fs.readlink(ino: link.attributes.ino)
        #expect(target == "../../../shares/beta")
        #expect(link.attributes.size == UInt64(target.utf8.count))
        #expect(throws: FSError(EINVAL)) { try fs.readlink(ino: try resolve(fs, "workspaces/alpha/big.bin").attributes.ino) }

        let single = try fixture.mount(.single(.workspace("alpha")))
        defer { single.destroy() }
        #expect(try single.readlink(ino: try resolve(single, "docs/to-beta").attributes.ino) == "../shares/beta")
    }

    @Test func escapedServerNamesAppearEscapedAndResolve() throws {
        let fixture = Fixture()
        let weird = ["a/b.txt", "..", "\u{FF0F}lit"]
        for name in weird { fixture.api.addFile(fixture.alpha, name: name, bytes: [1, 2, 3]) }
        let fs = try fixture.mount(.single(.workspace("alpha")))
        defer { fs.destroy() }
        let names = try listAll(fs, 1).map(\.name)
        for name in weird {
            #expect(names.contains(PosixName.encode(name)))
            #expect(try fs.lookup(parent: 1, name: PosixName.encode(name)).attributes.size == 3)
        }
        #expect(names.filter { $0 == ".." }.count == 1)
    }

    @Test func statfsIsSensible() throws {
        let fs = try Fixture().mount()
        defer { fs.destroy() }
        let stats = try fs.statfs(ino: 1)
        #expect(stats.maxNameLength == 255 && stats.blocks > 0 && stats.blockSize > 0)
    }
}
