import EmulatorHarness
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The namespace: workspaces/ and shares/, notes, link nodes, escaped names, daemon mode.
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct LayoutMountTests {
    @Test func multiProfileLayoutNotesLinksAndEscapedNames() async throws {
        try FuseAvailability.require()
        let emulator = try await EmulatorProcess.start()
        defer { emulator.stop() }
        let f = Fixtures(emulator.api)
        let ws = try await f.createWorkspace(folderName: "layout-ws", name: "Layout")
        let folder = try await f.createFolder(ws.context, name: "docs")
        _ = try await f.uploadSingle(ws.context, parent: folder, name: "a.txt", data: Data("alpha\n".utf8))
        let note = try await emulator.api.post("\(ws.context.storagePath)/root/createnote/",
                                               form: ["name": "notes.md", "content": "# Notes\nbody\n"])
        #expect(note.isSuccess, "\(note)")
        let share = try await f.createFolderShare(workspace: ws.id, folderNodeId: folder, customName: "layout-share-docs")
        let link = try await emulator.api.post("\(ws.context.storagePath)/root/addlink/",
                                               form: ["type": "share", "link_target_type": "share", "share": share.id])
        #expect(link.isSuccess, "\(link)")
        // Names POSIX cannot show as-is, and names that collide with the escape scheme.
        for name in ["x／y.txt", "quote‛d.txt", "slash/inside.txt"] {
            let r = try await f.uploadSingleResponse(ws.context, name: name, data: Data(name.utf8))
            #expect(r.isSuccess || name.contains("/"), "\(name): \(r)")
        }

        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--read-only"])
        defer { mount.unmount() }
        let root = mount.path
        #expect(Set(try POSIX.listNames(root)) == ["workspaces", "shares"])
        #expect(try POSIX.listNames(root + "/workspaces").contains("layout-ws"))
        #expect(try POSIX.listNames(root + "/shares").contains("layout-share-docs"))
        #expect(try POSIX.readAll(root + "/workspaces/layout-ws/docs/a.txt") == Array("alpha\n".utf8))
        #expect(try POSIX.readAll(root + "/shares/layout-share-docs/a.txt") == Array("alpha\n".utf8), "a folder share is a live view")

        // Notes are regular .md files with their markdown.
        let noteStat = try POSIX.stat(root + "/workspaces/layout-ws/notes.md")
        #expect(noteStat.st_mode & S_IFMT == S_IFREG)
        #expect(String(decoding: try POSIX.readAll(root + "/workspaces/layout-ws/notes.md"), as: UTF8.self) == "# Notes\nbody\n")

        // Link nodes are symlinks to shares/<name>, relative to the mount root.
        let names = try POSIX.listNames(root + "/workspaces/layout-ws")
        let linkName = try #require(names.first { (try? POSIX.lstat(root + "/workspaces/layout-ws/" + $0).st_mode & S_IFMT) == S_IFLNK },
                                    "a symlink among \(names)")
        let target = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/workspaces/layout-ws/" + linkName))
        #expect(target == "../../shares/layout-share-docs")
        #expect(try POSIX.readAll(root + "/workspaces/layout-ws/" + linkName + "/a.txt") == Array("alpha\n".utf8))

        // Escaping is reversible: a literal '／' or '‛' gets a '‛' prefix; '/' becomes '／'.
        #expect(names.contains("x‛／y.txt"), "\(names)")
        #expect(names.contains("quote‛‛d.txt"), "\(names)")
        #expect(try POSIX.readAll(root + "/workspaces/layout-ws/x‛／y.txt") == Array("x／y.txt".utf8))
        if names.contains("slash／inside.txt") {
            #expect(try POSIX.readAll(root + "/workspaces/layout-ws/slash／inside.txt") == Array("slash/inside.txt".utf8))
        }
    }

    @Test func daemonModeReturnsOnceLiveAndUnmountStopsIt() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mnt = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-daemon")
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-daemon-cache")
        let bin = try BuildProducts.executable("fastiofs").path
        defer {
            _ = try? Shell.run("fusermount3 -u \(Shell.quote(mnt.path)) 2>/dev/null; true")
            _ = try? Shell.run("pkill -KILL -f \(Shell.quote("[f]astiofs mount \(mnt.path)")); true")
        }
        let env = ["FASTIO_TOKEN": emulator.primaryToken]
        let mounted = try Shell.run("\(Shell.quote(bin)) mount \(Shell.quote(mnt.path)) --api-url \(emulator.baseURL.absoluteString) --workspace \(SourceTree.workspaceName) --cache-dir \(Shell.quote(cache.path))",
                                    environment: env, timeout: 60)
        #expect(mounted.status == 0, "\(mounted.stderr)")
        // Live as soon as the command returned: no waiting.
        #expect(try POSIX.readAll(mnt.path + "/small/hello.txt") == Array("hello fastio\n".utf8))
        let unmounted = try Shell.run("\(Shell.quote(bin)) unmount \(Shell.quote(mnt.path))", environment: env, timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: mnt.path))
        // `[f]` keeps the pattern from matching the shell that runs pgrep.
        let left = try Shell.run("pgrep -f \(Shell.quote("[f]astiofs mount \(mnt.path)"))")
        #expect(left.stdout.isEmpty, "the daemon exited")

        // A clear message and a non-zero exit for a bad token.
        let bad = try Shell.run("\(Shell.quote(bin)) mount \(Shell.quote(mnt.path)) --api-url \(emulator.baseURL.absoluteString) --cache-dir \(Shell.quote(cache.path))",
                                environment: ["FASTIO_TOKEN": "not-a-valid-token"], timeout: 60)
        #expect(bad.status != 0)
        #expect(!bad.stderr.isEmpty && !bad.stderr.contains("not-a-valid-token"), "message without the token: \(bad.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: mnt.path))
    }
}
}
