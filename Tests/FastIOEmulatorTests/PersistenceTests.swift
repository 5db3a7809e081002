import EmulatorHarness
import Foundation
import Testing

/// Everything survives a restart on the same --data; import; --seed demo.
@Suite struct PersistenceTests {
    @Test func stateSurvivesRestart() async throws {
        try await withServer { server in
            var fx = server.fx
            let ws = try await fx.createWorkspace(folderName: "keep")
            let share = try await fx.createPortalShare(workspace: ws.id, customName: "kept-share-1")
            let folder = try await fx.createFolder(ws.context, name: "dir")
            let small = Data(text: "small content")
            let big = Data.pseudoRandom(count: 2_500_000, seed: 31)
            let smallId = try await fx.uploadSingle(ws.context, parent: folder, name: "small.txt", data: small)
            let bigSession = try await fx.uploadChunked(ws.context, name: "big.bin", data: big, chunkSize: 1_048_576)
            let bigId = try need(bigSession["new_file_id"].string, "big id")
            let upd = try await fx.uploadChunked(nil, name: "v2", data: Data(text: "small v2"), chunkSize: 1_048_576)
            expectOK(try await server.api.post(ws.context.node(smallId, "update"), form: [
                "from": #"{"type":"upload","upload":{"id":"\#(try need(upd["id"].string, "id"))"}}"#,
            ]))
            let trashed = try await fx.uploadSingle(ws.context, name: "trashed.txt", data: Data(text: "t"))
            expectOK(try await server.api.delete(ws.context.node(trashed, "delete")))
            let note = try need(expectOK(try await server.api.post(ws.context.node("root", "createnote"),
                                                                   form: ["name": "n.md", "content": "# n"]))["note"]["id"].string, "note")
            let lockToken = try need(expectOK(try await server.api.post(ws.context.node(bigId, "lock")))["lock_token"].string,
                                     "lock")
            let versionBefore = try await fx.details(ws.context, smallId)["version"].string
            let cursor = try need(try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "0"])
                .json?["lastactivity"].string, "cursor")

            try await server.emulator.restart()
            fx = server.fx  // the port may have changed

            #expect(expectOK(try await server.api.get("workspace/keep/details/"))["workspace"]["id"].string == ws.id)
            #expect(expectOK(try await server.api.get("share/kept-share-1/details/"))["share"]["id"].string == share.id)
            #expect(Set(try await fx.listAll(ws.context).ids) == Set([folder, bigId, note]))
            #expect(try await fx.read(ws.context, smallId) == Data(text: "small v2"))
            #expect(try await fx.read(ws.context, bigId) == big)
            #expect(try await fx.details(ws.context, smallId)["version"].string == versionBefore)
            let versions = expectOK(try await server.api.get(ws.context.node(smallId, "versions")))["versions"].array ?? []
            #expect(versions.count == 2)
            let old = try await server.api.get(ws.context.node(smallId, "read"),
                                               query: ["version_id": versions.last?["id"].string ?? ""])
            #expect(old.body == small)
            #expect(try await fx.listAll(ws.context, "trash").ids == [trashed])
            #expect(try await server.api.get(ws.context.node(note, "readnote")).text == "# n")
            let lock = expectOK(try await server.api.get(ws.context.node(bigId, "lock")))
            #expect(lock["locked"].bool == true, "lock survives restart: \(lock)")
            // The old activity cursor is still meaningful: nothing new -> waits, no hot loop.
            let (quiet, t) = try await timed {
                try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "1", "lastactivity": cursor])
            }
            #expect(quiet.json?["results"].int == 0 && t >= 0.8, "old cursor after restart: \(quiet) in \(t) s")
            expectOK(try await server.api.delete(ws.context.node(bigId, "lock"), form: ["lock_token": lockToken]))
            // Ids issued after restart do not collide with existing ones.
            let fresh = try await fx.createFolder(ws.context, name: "after-restart")
            #expect(![folder, bigId, note, smallId, trashed].contains(fresh))
        }
    }

    @Test func unfinishedChunkedSessionCompletesAfterRestart() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: 1_048_576 + 4000, seed: 41)
            let id = try await server.fx.createUploadSession(ws.context, name: "resumed.bin", size: content.count)
            expectOK(try await server.fx.sendChunk(id, order: 1, data: content.subdata(in: 0..<1_048_576)))
            server.emulator.kill9()
            try await server.emulator.relaunch()
            #expect(!(try await server.fx.listAll(ws.context).names.contains("resumed.bin")), "no half-visible file")
            let session = expectOK(try await server.fx.uploadDetails(id))["session"]
            #expect(session["chunks"]["1"].int == 1_048_576, "received chunk persists: \(session)")
            expectOK(try await server.fx.sendChunk(id, order: 2, data: content.subdata(in: 1_048_576..<content.count)))
            expectOK(try await server.fx.complete(id))
            let done = try await server.fx.waitForUpload(id, until: ["stored"])
            let node = try need(done["new_file_id"].string, "new_file_id: \(done)")
            #expect(try await server.fx.read(ws.context, node) == content)
        }
    }

    @Test func importLoadsATree() async throws {
        let source = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-import-src")
        defer { try? FileManager.default.removeItem(at: source) }
        let fm = FileManager.default
        try fm.createDirectory(at: source.appendingPathComponent("nested/deeper"), withIntermediateDirectories: true)
        let binary = Data.pseudoRandom(count: 300_000, seed: 51)
        try Data(text: "top").write(to: source.appendingPathComponent("top.txt"))
        try Data(text: "mid").write(to: source.appendingPathComponent("nested/mid.txt"))
        try binary.write(to: source.appendingPathComponent("nested/deeper/blob.bin"))
        for i in 0..<150 { try Data(text: "n\(i)").write(to: source.appendingPathComponent("nested/deeper/f\(i).txt")) }

        try await withServer(prepare: { data in
            try EmulatorProcess.runImport(dataDirectory: data, workspace: "imported", from: source)
        }) { server in
            let ws = Fixtures.Workspace(id: try need(expectOK(try await server.api.get("workspace/imported/details/"))[
                "workspace"]["id"].string, "imported workspace"), folderName: "imported")
            let root = try await server.fx.listAll(ws.context)
            #expect(root.names.sorted() == ["nested", "top.txt"])
            let nested = try need(root.named("nested")?["id"].string, "nested")
            let nestedItems = try await server.fx.listAll(ws.context, nested)
            #expect(nestedItems.names.sorted() == ["deeper", "mid.txt"])
            let deeper = try need(nestedItems.named("deeper")?["id"].string, "deeper")
            let deepItems = try await server.fx.listAll(ws.context, deeper)
            #expect(deepItems.count == 151)
            let blob = try need(deepItems.named("blob.bin"), "blob.bin")
            #expect(blob["size"].int == binary.count && blob["hash"].string == SHA256.hex(of: binary))
            #expect(try await server.fx.read(ws.context, try need(blob["id"].string, "id")) == binary)
            let top = try need(root.named("top.txt")?["id"].string, "top")
            #expect(try await server.fx.read(ws.context, top) == Data(text: "top"))
            let hidden = try await server.otherAPI.get("workspace/imported/details/")
            #expect([403, 404].contains(hidden.status), "imported workspace belongs to the --token user: \(hidden)")
        }
    }

    @Test func seedDemoIsIdempotent() async throws {
        try await withServer(extraArguments: ["--seed", "demo"]) { server in
            let ws = expectOK(try await server.api.get("workspace/demo/details/"))["workspace"]
            let wsId = try need(ws["id"].string, "demo id")
            let root = try await server.fx.listAll(.workspace(wsId))
            #expect(root.count >= 3, "\(root.names)")
            #expect(root.contains { $0["type"].string == "folder" }, "a nested folder: \(root.names)")
            #expect(root.contains { $0["type"].string == "note" && $0["name"].string == "README.md" }, "\(root.names)")
            #expect(root.contains { ($0["size"].int ?? 0) >= 900_000 }, "a ~1 MB binary: \(root.names)")
            let share = expectOK(try await server.api.get("share/demo-share/details/"))
            #expect(share["share"]["id"].string != nil)

            try await server.emulator.restart()
            let again = try await server.fx.listAll(.workspace(wsId))
            #expect(Set(again.ids) == Set(root.ids), "seeding twice must not duplicate")
            let all = expectOK(try await server.api.get("workspaces/all/"))["workspaces"].array ?? []
            #expect(all.filter { $0["folder_name"].string == "demo" }.count == 1)
        }
    }
}
