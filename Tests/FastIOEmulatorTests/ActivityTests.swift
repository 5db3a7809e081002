import EmulatorHarness
import Foundation
import Testing

/// Activity long-poll and events search.
@Suite struct ActivityTests {
    func poll(_ api: APIClient, _ profile: String, wait: Int, last: String?) async throws -> APIResponse {
        var query = ["wait": String(wait), "updated": "1"]
        if let last { query["lastactivity"] = last }
        return try await api.get("activity/poll/\(profile)/", query: query)
    }

    func storageKeys(_ r: APIResponse) -> Set<String> {
        Set((r.json?["activity"].object ?? [:]).keys.filter { $0.hasPrefix("storage:") }
            .map { "storage:" + Formats.canonical(String($0.dropFirst("storage:".count))) })
    }

    @Test func pollReturnsAtOnceOnChangeAndWaitsOtherwise() async throws {
        try await withWorkspace { server, ws in
            let first = try await poll(server.api, ws.id, wait: 0, last: nil)
            #expect(first.isSuccess, "\(first)")
            let cursor = try need(first.json?["lastactivity"].string, "lastactivity on first call: \(first)")
            #expect(Formats.isMicroTimestamp(cursor), "lastactivity format: \(cursor)")

            // Nothing changes: the poll waits about `wait` seconds and reports no activity.
            let (idle, idleTime) = try await timed { try await poll(server.api, ws.id, wait: 2, last: cursor) }
            #expect(idle.isSuccess && idle.json?["results"].int == 0, "\(idle)")
            #expect(idleTime >= 1.5 && idleTime < 8, "idle poll took \(idleTime) s")
            let idleActivity = idle.json?["activity"] ?? .missing
            #expect(idleActivity.array?.isEmpty == true || idleActivity.object?.isEmpty == true, "\(idle)")
            let idleCursor = idle.json?["lastactivity"].string ?? cursor
            #expect(idleCursor >= cursor, "cursor must not go backwards")

            // A change during the wait wakes the poll.
            let fx = server.fx
            async let folderId: String = {
                try await Task.sleep(nanoseconds: 400_000_000)
                return try await fx.createFolder(ws.context, name: "wake")
            }()
            let (woke, wokeTime) = try await timed { try await poll(server.api, ws.id, wait: 20, last: idleCursor) }
            let folder = try await folderId
            #expect(wokeTime < 8, "poll must return on change (took \(wokeTime) s)")
            #expect(storageKeys(woke).contains("storage:" + Formats.canonical(folder)), "\(woke)")
            #expect(woke.json?["activity"]["storage"].exists == true, "bare storage key: \(woke)")
            #expect((woke.json?["results"].int ?? 0) >= 1)
            let next = try need(woke.json?["lastactivity"].string, "lastactivity")
            #expect(Formats.isMicroTimestamp(next) && next > idleCursor, "\(next) vs \(idleCursor)")

            // A change that happened before the poll returns immediately.
            let file = try await server.fx.uploadSingle(ws.context, parent: folder, name: "f.txt", data: Data(text: "f"))
            let (prompt, promptTime) = try await timed { try await poll(server.api, ws.id, wait: 20, last: next) }
            #expect(promptTime < 8, "pending change must return at once, well before the 20 s wait (took \(promptTime) s)")
            let keys = storageKeys(prompt)
            #expect(keys.contains("storage:" + Formats.canonical(file)), "\(prompt)")
            #expect(keys.contains("storage:" + Formats.canonical(folder)), "parent folder bumped too: \(prompt)")

            // Echoing the new cursor verbatim does not re-deliver the same change.
            let cursor3 = try need(prompt.json?["lastactivity"].string, "lastactivity")
            let (quiet, quietTime) = try await timed { try await poll(server.api, ws.id, wait: 1, last: cursor3) }
            #expect(quiet.json?["results"].int == 0 && quietTime >= 0.8, "\(quiet) after \(quietTime) s")
        }
    }

    @Test func moveBumpsOldAndNewParent() async throws {
        try await withWorkspace { server, ws in
            let a = try await server.fx.createFolder(ws.context, name: "a")
            let b = try await server.fx.createFolder(ws.context, name: "b")
            let file = try await server.fx.uploadSingle(ws.context, parent: a, name: "m.txt", data: Data(text: "m"))
            let cursor = try need(try await poll(server.api, ws.id, wait: 0, last: nil).json?["lastactivity"].string, "c")
            expectOK(try await server.api.post(ws.context.node(file, "move"), form: ["parent": b]))
            let r = try await poll(server.api, ws.id, wait: 5, last: cursor)
            let keys = storageKeys(r)
            for id in [file, a, b] {
                #expect(keys.contains("storage:" + Formats.canonical(id)), "missing storage:\(id) in \(r)")
            }
        }
    }

    @Test func folderShareChannelSeesChangesInItsFolder() async throws {
        try await withWorkspace { server, ws in
            let folder = try await server.fx.createFolder(ws.context, name: "S")
            let share = try await server.fx.createFolderShare(workspace: ws.id, folderNodeId: folder)
            let cursor = try need(try await poll(server.api, share.id, wait: 0, last: nil).json?["lastactivity"].string,
                                  "share cursor")
            let file = try await server.fx.uploadSingle(ws.context, parent: folder, name: "x.txt", data: Data(text: "x"))
            let r = try await poll(server.api, share.id, wait: 5, last: cursor)
            #expect(storageKeys(r).contains("storage:" + Formats.canonical(file)), "\(r)")
        }
    }

    @Test func uploadProgressOnTheUserChannel() async throws {
        try await withWorkspace { server, ws in
            let me = try await server.fx.userId()
            let cursor = try need(try await poll(server.api, me, wait: 0, last: nil).json?["lastactivity"].string, "c")
            let r0 = try await server.fx.uploadSingleResponse(ws.context, name: "u.bin", data: Data(text: "u"))
            let uploadId = try need(r0.json?["id"].string, "upload id")
            let r = try await poll(server.api, me, wait: 5, last: cursor)
            let keys = Set((r.json?["activity"].object ?? [:]).keys.map { key -> String in
                key.hasPrefix("upload:") ? "upload:" + Formats.canonical(String(key.dropFirst(7))) : key
            })
            #expect(keys.contains("upload:" + Formats.canonical(uploadId)), "\(r)")
        }
    }

    @Test func pollRequiresAccessToTheProfile() async throws {
        try await withWorkspace { server, ws in
            let r = try await poll(server.otherAPI, ws.id, wait: 0, last: nil)
            expectError(r, status: 400, code: 1605)
        }
    }

    @Test func eventsSearch() async throws {
        try await withWorkspace { server, ws in
            let me = try await server.fx.userId()
            let folder = try await server.fx.createFolder(ws.context, name: "ev")
            let file = try await server.fx.uploadSingle(ws.context, parent: folder, name: "e.txt", data: Data(text: "e"))
            expectOK(try await server.api.post(ws.context.node(file, "move"), form: ["parent": "root"]))
            expectOK(try await server.api.delete(ws.context.node(file, "delete")))

            expectError(try await server.api.get("events/search/"), status: 400, code: 1605)
            let all = try await server.api.get("events/search/", query: ["workspace_id": ws.id])
            #expect(all.isSuccess, "\(all)")
            let events = all.json?["events"].array ?? []
            let names = events.compactMap { $0["event"].string }
            for expected in ["workspace_storage_folder_created", "workspace_storage_file_added",
                             "workspace_storage_file_moved", "workspace_storage_file_deleted"] {
                #expect(names.contains(expected), "missing \(expected) in \(names)")
            }
            let added = events.first { $0["event"].string == "workspace_storage_file_added" }
            #expect(Formats.sameId(added?["object_id"].string, file), "\(String(describing: added))")
            #expect(added?["calling_user"].string == me)
            #expect(added?["workspace_id"].string == ws.id)
            #expect(added?["category"].string != nil && added?["sub_category"].string != nil)
            #expect(added?["event_id"].string != nil)
            #expect(Formats.isServerTimestamp(added?["created"].string), "\(String(describing: added))")

            let filtered = try await server.api.get("events/search/", query: [
                "workspace_id": ws.id, "event": "workspace_storage_file_added",
            ])
            #expect(filtered.json?["events"].array?.allSatisfy {
                $0["event"].string == "workspace_storage_file_added" } == true, "\(filtered)")
            let byObject = try await server.api.get("events/search/", query: ["workspace_id": ws.id, "object_id": file])
            #expect((byObject.json?["events"].array ?? []).allSatisfy { Formats.sameId($0["object_id"].string, file) })
            #expect((byObject.json?["events"].array ?? []).count >= 3, "\(byObject)")
            let limited = try await server.api.get("events/search/", query: ["workspace_id": ws.id, "limit": "1"])
            #expect(limited.json?["events"].array?.count == 1, "\(limited)")
        }
    }
}
