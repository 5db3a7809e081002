import EmulatorHarness
import Foundation
import Testing

/// Fast.io notes are `.md` files on the mount; writing one changes the note through `updatenote`
/// (it stays a note, keeps its id and gets the new text), whether it is overwritten in place or
/// replaced by an editor's write-temp-then-rename save.
extension MountSuites {
@Suite(.timeLimit(.minutes(3)))
struct NoteWriteMountTests {
    @Test func writingANoteUpdatesItThroughUpdatenote() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let context = StorageContext.workspace(SourceTree.workspaceName)
        let fixtures = Fixtures(emulator.api)
        let created = try fixtures.expectOK(await emulator.api.post(context.node("root", "createnote"),
                                                                    form: ["name": "plan.md", "content": "# Plan\n"]))
        let noteID = try #require(created.payload["note"]["id"].stringish ?? created.payload["node"]["id"].stringish)

        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let m = mount.path
        #expect(try POSIX.readAll(m + "/plan.md") == Array("# Plan\n".utf8))
        let inPlace = try Shell.run("printf '# Plan\\n\\n- write it\\n' > \(m)/plan.md && cat \(m)/plan.md")
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
        #expect(inPlace.stdout == "# Plan\n\n- write it\n")
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let synced = try Shell.run("\(fastiofs) unmount \(m)", timeout: 60)
        #expect(synced.status == 0, "\(synced.stderr)\n\(mount.logTail())")
        mount.unmount()
        var node = try await fixtures.details(context, noteID)
        #expect(node["type"].string == "note")
        #expect(String(decoding: try await fixtures.read(context, noteID), as: UTF8.self) == "# Plan\n\n- write it\n")

        // An editor's save: temp file, rename over the note.
        let again = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { again.unmount() }
        let saved = try Shell.run("printf '# Plan v3\\n' > \(again.path)/.plan.md.tmp && mv \(again.path)/.plan.md.tmp \(again.path)/plan.md")
        #expect(saved.status == 0, "\(saved.stderr)")
        #expect(try XAttr.string(again.path + "/plan.md", "user.fastio.id") == noteID.replacingOccurrences(of: "-", with: ""))
        let unmounted = try Shell.run("\(fastiofs) unmount \(again.path)", timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(again.logTail())")
        again.unmount()
        node = try await fixtures.details(context, noteID)
        #expect(node["type"].string == "note")
        #expect(String(decoding: try await fixtures.read(context, noteID), as: UTF8.self) == "# Plan v3\n")
        let names = try await ServerFiles(emulator).names("")
        #expect(!names.contains(".plan.md.tmp"))
        #expect(!names.contains { $0.contains("conflict") }, "\(names)")
    }
}
}
