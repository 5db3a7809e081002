import EmulatorHarness
import Foundation
import Testing

/// A user whose role does not allow a change is refused where they act: read-only modes, and
/// `cp`, `touch`, `mkdir`, `rm`, `mv` and an editor's save fail at once with EACCES ("Permission
/// denied"), sending nothing; the server keeps exactly what it had. A role changed elsewhere takes
/// effect through the activity channel, without a remount.
extension MountSuites {
@Suite(.timeLimit(.minutes(3)))
struct RoleMountTests {
    /// The shell commands a user would try, each expected to fail with "Permission denied".
    static func refusedCommands(_ m: String, existing: String, folder: String) -> [(String, String)] {
        [
            ("cp", "cp /etc/hostname \(m)/new.txt"),
            ("touch a new file", "touch \(m)/touched.txt"),
            ("touch an existing file", "touch \(m)/\(existing)"),
            ("mkdir", "mkdir \(m)/made"),
            ("rm", "rm -f \(m)/\(existing)"),
            ("rm in a folder", "rm -f \(m)/\(folder)/a.txt"),
            ("mv", "mv \(m)/\(existing) \(m)/renamed.txt"),
            ("append", "echo more >> \(m)/\(existing)"),
            ("truncate", "truncate -s 0 \(m)/\(existing)"),
            ("editor save", "printf 'v2\\n' > \(m)/.\(existing).swp && mv \(m)/.\(existing).swp \(m)/\(existing)"),
        ]
    }

    /// Every name, type and version under `folder`, recursively (what "nothing changed" compares).
    static func snapshot(_ fixtures: Fixtures, _ context: StorageContext, _ folder: String = "root",
                         prefix: String = "") async throws -> [String: String] {
        var result: [String: String] = [:]
        for item in try await fixtures.listAll(context, folder) {
            let name = prefix + (item["name"].string ?? "?")
            result[name] = (item["type"].string ?? "?") + ":" + (item["version"].string ?? "-")
            if item["type"].string == "folder", let id = item["id"].stringish {
                result.merge(try await snapshot(fixtures, context, id, prefix: name + "/")) { $1 }
            }
        }
        return result
    }

    static func mode(_ path: String) throws -> UInt32 { UInt32(try POSIX.stat(path).st_mode) & 0o777 }

    static func expectRefused(_ commands: [(String, String)], mount: MountedFastIOFS) throws {
        for (what, command) in commands {
            let started = Date()
            let result = try Shell.run(command, timeout: 20)
            let seconds = Date().timeIntervalSince(started)
            #expect(result.status != 0, "\(what) succeeded\n\(mount.logTail())")
            #expect(result.stderr.contains("Permission denied"), "\(what): \(result.stderr)")
            #expect(seconds < 5, "\(what) took \(seconds) s")
        }
    }

    @Test func aSendShareRecipientMayOnlyReadAndChangesNothing() async throws {
        try FuseAvailability.require()
        let reader = EmulatorUser.random("reader")
        let emulator = try await EmulatorProcess.start(users: [reader])
        defer { emulator.stop() }
        let owner = Fixtures(emulator.api)
        let workspace = try await owner.createWorkspace()
        let created = try owner.expectOK(await emulator.api.post("workspace/\(workspace.id)/create/share/", form: [
            "title": "Outbox", "share_type": "send", "intelligence": "false", "custom_name": "outbox-send-share",
            "access_options": "Only members of the Share or Workspace", "invite": "owners",
        ]))
        let shareID = try #require(created.payload["share"]["id"].stringish)
        let context = StorageContext.share(shareID)
        let docs = try await owner.createFolder(context, name: "docs")
        _ = try await owner.uploadSingle(context, name: "report.txt", data: Data("v1\n".utf8))
        _ = try await owner.uploadSingle(context, parent: docs, name: "a.txt", data: Data("inner\n".utf8))
        let readerID = try await Fixtures(emulator.client(as: reader)).userId()
        _ = try owner.expectOK(await emulator.api.post("share/\(shareID)/members/\(readerID)/", form: ["permissions": "member"]))
        let before = try await Self.snapshot(owner, context)

        let mount = try MountedFastIOFS.mount(emulator, token: reader.token, arguments: ["--share", "outbox-send-share"])
        defer { mount.unmount() }
        let m = mount.path
        #expect(try Self.mode(m) == 0o555)
        #expect(try Self.mode(m + "/docs") == 0o555)
        #expect(try Self.mode(m + "/report.txt") == 0o444)
        #expect(try POSIX.readAll(m + "/report.txt") == Array("v1\n".utf8))
        #expect(try POSIX.readAll(m + "/docs/a.txt") == Array("inner\n".utf8))
        try Self.expectRefused(Self.refusedCommands(m, existing: "report.txt", folder: "docs"), mount: mount)

        // Nothing waits to be sent, and the server holds exactly what it held.
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 30)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(mount.logTail())")
        mount.unmount()
        #expect(try await Self.snapshot(owner, context) == before)
    }

    @Test func aWorkspaceViewerMayWriteOnceTheOwnerRaisesTheRole() async throws {
        try FuseAvailability.require()
        let viewer = EmulatorUser.random("viewer")
        let emulator = try await EmulatorProcess.start(users: [viewer])
        defer { emulator.stop() }
        let owner = Fixtures(emulator.api)
        let workspace = try await owner.createWorkspace()
        let docs = try await owner.createFolder(workspace.context, name: "docs")
        _ = try await owner.uploadSingle(workspace.context, name: "report.txt", data: Data("v1\n".utf8))
        _ = try await owner.uploadSingle(workspace.context, parent: docs, name: "a.txt", data: Data("inner\n".utf8))
        let viewerID = try await Fixtures(emulator.client(as: viewer)).userId()
        try await owner.addMember(workspace: workspace.id, user: viewerID, permissions: "view")
        let before = try await Self.snapshot(owner, workspace.context)

        let mount = try MountedFastIOFS.mount(emulator, token: viewer.token, arguments: ["--workspace", workspace.id])
        defer { mount.unmount() }
        let m = mount.path
        #expect(try Self.mode(m + "/report.txt") == 0o444)
        #expect(try Self.mode(m + "/docs") == 0o555)
        try Self.expectRefused(Self.refusedCommands(m, existing: "report.txt", folder: "docs"), mount: mount)
        #expect(try await Self.snapshot(owner, workspace.context) == before)

        // The owner makes the viewer a member: the mount learns it from the activity channel.
        _ = try owner.expectOK(await emulator.api.post("workspace/\(workspace.id)/member/\(viewerID)/update/",
                                                       form: ["permissions": "member"]))
        let deadline = Date(timeIntervalSinceNow: 10)
        var writable = false
        while Date() < deadline {
            if try Self.mode(m + "/report.txt") == 0o644 {
                writable = true
                break
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(writable, "the new role never showed\n\(mount.logTail())")
        let written = try Shell.run("printf 'v2\\n' > \(m)/report.txt && mkdir \(m)/made && cp /etc/hostname \(m)/made/host")
        #expect(written.status == 0, "\(written.stderr)\n\(mount.logTail())")
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(mount.logTail())")
        mount.unmount()
        let after = try await Self.snapshot(owner, workspace.context)
        #expect(after["made/host"] != nil)
        #expect(after["report.txt"] != before["report.txt"], "a new version of report.txt")
    }
}
}
