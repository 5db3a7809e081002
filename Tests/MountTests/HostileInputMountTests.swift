import EmulatorHarness
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Input fastiofs must not trust: link target ids and names from the server, and what sits in the
/// cache directory (its owner and mode, the journal records in it).
extension MountSuites {
@Suite(.timeLimit(.minutes(6)))
struct HostileInputMountTests {
    /// `path` (absolute) with `.`, `..` and repeated slashes resolved lexically, as the kernel walks a
    /// symlink's target (no symlinks inside the mount but the one being checked).
    static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func readlink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = Glibc.readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw SyscallError(errno: errno, call: "readlink \(path)") }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates a link node to a new folder share named `shareName` in `parent`; returns the link's name.
    static func link(_ emulator: EmulatorProcess, _ workspace: Fixtures.Workspace, parent: String,
                     to folder: String, shareName: String) async throws -> (name: String, shareID: String) {
        let f = Fixtures(emulator.api)
        let share = try await f.createFolderShare(workspace: workspace.id, folderNodeId: folder, customName: shareName,
                                                  title: "to-" + shareName)
        let link = try f.expectOK(await emulator.api.post(workspace.context.node(parent, "addlink"),
                                                          form: ["type": "share", "share": share.id]))
        return (try #require(link.payload["node"]["name"].string), share.id)
    }

    /// Changes the emulator's stored data behind its back (a server answer no real server gives).
    static func sql(_ emulator: EmulatorProcess, _ statement: String) throws {
        let database = emulator.dataDirectory.appendingPathComponent("meta.sqlite").path
        let result = try Shell.run("sqlite3 -cmd '.timeout 10000' \(Shell.quote(database)) \(Shell.quote(statement))")
        guard result.status == 0 else { throw MountTestError("sqlite3 failed: \(result.stderr)") }
    }

    @Test func linkTargetIDsWithSlashesOrDotsNeverPointOutOfTheMount() async throws {
        try FuseAvailability.require()
        let emulator = try await EmulatorProcess.start()
        defer { emulator.stop() }
        let f = Fixtures(emulator.api)
        let ws = try await f.createWorkspace(folderName: "hostile-links")
        var links: [(name: String, shareID: String)] = []
        for name in ["dots", "slash", "good"] {
            let folder = try await f.createFolder(ws.context, name: name)
            links.append(try await Self.link(emulator, ws, parent: "root", to: folder, shareName: "hostile-" + name))
        }
        let hostile = ["../../../../../../../../../../etc", links[2].shareID + "/../../../../../../../../../../tmp"]
        for (link, target) in zip(links, hostile) {
            try Self.sql(emulator, "UPDATE nodes SET target_id = '\(target)' WHERE type = 'link' AND target_id = '\(link.shareID)'")
        }

        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--read-only"])
        defer { mount.unmount() }
        let directory = mount.path + "/workspaces/hostile-links"
        for (link, target) in zip(links, hostile) {
            let path = directory + "/" + link.name
            #expect(try POSIX.lstat(path).st_mode & S_IFMT == S_IFLNK, "\(link.name) is still shown as a link")
            do {
                let shown = try Self.readlink(path)
                Issue.record("the link with target id \(target) reads as \(shown), which resolves to \(Self.lexical(directory + "/" + shown))")
            } catch let error as SyscallError {
                #expect(error.errno == EIO, "\(error)")
            }
        }
        // The good one still reads and resolves into the share.
        let good = directory + "/" + links[2].name
        #expect(try Self.readlink(good) == "../../shares/hostile-good")
        #expect(try POSIX.stat(good).st_ino == POSIX.stat(mount.path + "/shares/hostile-good").st_ino)
        #expect(try String(contentsOfFile: mount.logPath, encoding: .utf8).contains("no valid share id as its target"),
                "the refused target is logged")
    }

    @Test func linkTargetsFollowRenamesOfTheFolderHoldingThem() async throws {
        try FuseAvailability.require()
        let emulator = try await EmulatorProcess.start()
        defer { emulator.stop() }
        let f = Fixtures(emulator.api)
        let ws = try await f.createWorkspace(folderName: "moving-links")
        let shared = try await f.createFolder(ws.context, name: "shared")
        _ = try await f.uploadSingle(ws.context, parent: shared, name: "inside.txt", data: Data("inside\n".utf8))
        let a = try await f.createFolder(ws.context, name: "a")
        let x = try await f.createFolder(ws.context, name: "x")
        _ = try await f.createFolder(ws.context, parent: x, name: "y")
        let link = try await Self.link(emulator, ws, parent: a, to: shared, shareName: "moving-share")

        let mount = try MountedFastIOFS.mount(emulator)
        defer { mount.unmount() }
        let root = mount.path
        let workspace = root + "/workspaces/moving-links"
        let shareRoot = try POSIX.stat(root + "/shares/moving-share").st_ino
        func expectResolves(_ folder: String, _ comment: Comment) throws {
            let path = workspace + "/" + folder + "/" + link.name
            let target = try Self.readlink(path)
            #expect(Self.lexical(workspace + "/" + folder + "/" + target) == root + "/shares/moving-share",
                    "\(comment): \(folder)/\(link.name) -> \(target)")
            #expect(try POSIX.stat(path).st_ino == shareRoot, comment)
            #expect(try POSIX.readAll(path + "/inside.txt") == Array("inside\n".utf8), comment)
        }
        try expectResolves("a", "before any rename")
        #expect(rename(workspace + "/a", workspace + "/x/y/a") == 0, "errno \(errno)")
        try expectResolves("x/y/a", "moved two levels deeper")
        #expect(rename(workspace + "/x/y/a", workspace + "/b") == 0, "errno \(errno)")
        try expectResolves("b", "moved back up and renamed")
        #expect(rename(workspace + "/x", workspace + "/z") == 0, "errno \(errno)")
        #expect(rename(workspace + "/b", workspace + "/z/y/b") == 0, "errno \(errno)")
        try expectResolves("z/y/b", "into a renamed folder")
    }

    /// A server name whose POSIX form is longer than NAME_MAX (each `／` is escaped to six bytes; the
    /// kernel itself refuses more than 1024 and used to fail the whole listing with EIO) is left out
    /// of the listing, which shows everything else.
    @Test func namesTooLongForPOSIXAreLeftOutOfListings() async throws {
        try FuseAvailability.require()
        let emulator = try await EmulatorProcess.start()
        defer { emulator.stop() }
        let f = Fixtures(emulator.api)
        let ws = try await f.createWorkspace(folderName: "long-names")
        let folder = try await f.createFolder(ws.context, name: "long")
        var expected: Set<String> = []
        for index in 0..<30 {
            let name = String(format: "file-%02d.txt", index)
            _ = try await f.uploadSingle(ws.context, parent: folder, name: name, data: Data(name.utf8))
            expected.insert(name)
            if index == 10 {
                _ = try await f.uploadSingle(ws.context, parent: folder, name: String(repeating: "／", count: 200), data: Data())
            }
            if index == 20 {
                _ = try await f.uploadSingle(ws.context, parent: folder, name: String(repeating: "😀", count: 70), data: Data())
            }
        }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", ws.id, "--read-only"])
        defer { mount.unmount() }
        for pass in ["cold", "cached"] {
            #expect(Set(try POSIX.listNames(mount.path + "/long")) == expected, "\(pass)")
        }
        #expect(try POSIX.readAll(mount.path + "/long/file-29.txt") == Array("file-29.txt".utf8))
        #expect(try String(contentsOfFile: mount.logPath, encoding: .utf8).contains("left out of the listing"))
    }

    // MARK: - the cache directory

    /// A cache directory others can write to, or that belongs to someone else, is refused at mount
    /// (foreground and daemon), with a message that names the fix; nothing is mounted.
    @Test func aCacheDirectoryOthersCanChangeIsRefused() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let logs = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-logs")

        let worldWritable = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache-777")
        #expect(chmod(worldWritable.path, 0o777) == 0)
        #expect(throws: MountTestError.self, "a world-writable cache directory is refused") {
            let mount = try MountedFastIOFS.mount(emulator, cacheDirectory: worldWritable, logFile: logs.appendingPathComponent("777.log"))
            mount.unmount()
        }
        let refusal = try String(contentsOf: logs.appendingPathComponent("777.log"), encoding: .utf8)
        #expect(refusal.contains("chmod 700 \(worldWritable.path)"), "\(refusal)")

        let group = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache-770")
        #expect(chmod(group.path, 0o770) == 0)
        #expect(throws: MountTestError.self, "a group-writable cache directory is refused") {
            let mount = try MountedFastIOFS.mount(emulator, cacheDirectory: group, logFile: logs.appendingPathComponent("770.log"))
            mount.unmount()
        }

        let foreign = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache-other")
        #expect(chmod(foreign.path, 0o700) == 0 && chown(foreign.path, 65534, 65534) == 0)
        #expect(throws: MountTestError.self, "a cache directory of another user is refused") {
            let mount = try MountedFastIOFS.mount(emulator, cacheDirectory: foreign, logFile: logs.appendingPathComponent("other.log"))
            mount.unmount()
        }
        let other = try String(contentsOf: logs.appendingPathComponent("other.log"), encoding: .utf8)
        #expect(other.contains("owned by uid 65534"), "\(other)")

        // The daemon (no --foreground) refuses before it starts.
        let mnt = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mnt")
        defer { _ = try? Shell.run("fusermount3 -u \(Shell.quote(mnt.path)) 2>/dev/null; true") }
        let bin = try BuildProducts.executable("fastiofs").path
        let daemon = try Shell.run("\(Shell.quote(bin)) mount \(Shell.quote(mnt.path)) --api-url \(emulator.baseURL.absoluteString) --cache-dir \(Shell.quote(worldWritable.path))",
                                   environment: ["FASTIO_TOKEN": emulator.primaryToken], timeout: 60)
        #expect(daemon.status != 0, "the daemon mounted on a world-writable cache directory")
        #expect(daemon.stderr.contains("chmod 700 \(worldWritable.path)"), "\(daemon.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: mnt.path))
    }

    /// A cache directory that does not exist is made 0700 (its missing parents too), whatever the
    /// umask, by the foreground mount and by the daemon.
    @Test func aNewCacheDirectoryIsPrivate() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let base = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-new-cache")
        #expect(chmod(base.path, 0o755) == 0)
        let modeOf = { (path: String) throws -> UInt32 in UInt32(try POSIX.stat(path).st_mode) & 0o777 }

        let foreground = base.appendingPathComponent("fg/nested/cache")
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: foreground, logFile: base.appendingPathComponent("fg.log"))
        for path in [base.path + "/fg", base.path + "/fg/nested", foreground.path, foreground.path + "/write/journal"] {
            let mode = try modeOf(path)
            #expect(mode == 0o700, "\(path): \(String(mode, radix: 8))")
        }
        mount.unmount()

        let daemonCache = base.appendingPathComponent("daemon/cache")
        let mnt = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mnt")
        defer { _ = try? Shell.run("fusermount3 -u \(Shell.quote(mnt.path)) 2>/dev/null; true") }
        let bin = try BuildProducts.executable("fastiofs").path
        let daemon = try Shell.run("umask 022; \(Shell.quote(bin)) mount \(Shell.quote(mnt.path)) --api-url \(emulator.baseURL.absoluteString) --workspace \(SourceTree.workspaceName) --cache-dir \(Shell.quote(daemonCache.path))",
                                   environment: ["FASTIO_TOKEN": emulator.primaryToken], timeout: 60)
        #expect(daemon.status == 0, "\(daemon.stderr)")
        for path in [base.path + "/daemon", daemonCache.path] {
            let mode = try modeOf(path)
            #expect(mode == 0o700, "\(path): \(String(mode, radix: 8))")
        }
        let unmounted = try Shell.run("\(Shell.quote(bin)) unmount \(Shell.quote(mnt.path))", timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
    }

    /// A journal record naming a file outside the spool (`../`), or a data file that is a symlink out
    /// of it, is set aside and logged at the next mount: the file it names is never uploaded.
    @Test(arguments: ["dotdot", "symlink"])
    func aCraftedJournalRecordIsSetAsideNotUploaded(kind: String) async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let secretDirectory = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-secret")
        let secret = Data("-----BEGIN OPENSSH PRIVATE KEY----- not for the server \(kind)\n".utf8)
        let secretPath = secretDirectory.appendingPathComponent("id_rsa").path
        try secret.write(to: URL(fileURLWithPath: secretPath))

        // A real record first: a new file, committed by close, the daemon killed before the upload.
        let first = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: cache)
        defer { first.unmount() }
        let mnt = first.mountpoint
        let fd = open(mnt.path + "/small/stolen.txt", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0, "errno \(errno)")
        let decoy = Array("decoy\n".utf8)
        #expect(write(fd, decoy, decoy.count) == decoy.count)
        #expect(close(dup(fd)) == 0, "the close of a duplicate commits")
        first.crash()
        close(fd)

        let journal = cache.appendingPathComponent("write/journal")
        let names = try FileManager.default.contentsOfDirectory(atPath: journal.path).filter { $0.hasSuffix(".json") }
        let recordName = try #require(names.first, "the commit was journaled")
        let recordURL = journal.appendingPathComponent(recordName)
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: recordURL)) as? [String: Any])
        let dataFile = try #require(record["dataFile"] as? String)
        switch kind {
        case "dotdot":
            // From <cache>/write/data/: up to the parent of <cache>, then into the secret's directory.
            record["dataFile"] = "../../../" + secretDirectory.lastPathComponent + "/id_rsa"
            record["size"] = secret.count
        default:
            let data = cache.appendingPathComponent("write/data/" + dataFile).path
            #expect(unlink(data) == 0 && symlink(secretPath, data) == 0)
        }
        try JSONSerialization.data(withJSONObject: record).write(to: recordURL)

        let second = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                               mountpoint: mnt, cacheDirectory: cache)
        defer { second.unmount() }
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let drained = try Shell.run("\(fastiofs) unmount \(Shell.quote(mnt.path))", timeout: 120)
        #expect(drained.status == 0, "\(drained.stderr)\n\(second.logTail())")

        let server = ServerFiles(emulator)
        if try await server.nodeID("small/stolen.txt") != nil {
            #expect(try await server.content("small/stolen.txt") != secret, "the secret was uploaded")
        }
        #expect(FileManager.default.fileExists(atPath: recordURL.path + ".rejected"), "the record is set aside")
        #expect(!FileManager.default.fileExists(atPath: recordURL.path), "the record is out of the journal")
        #expect(try Data(contentsOf: URL(fileURLWithPath: secretPath)) == secret, "the secret is untouched")
        #expect(try String(contentsOfFile: second.logPath, encoding: .utf8).contains("set aside, not uploaded"))
    }
}
}
