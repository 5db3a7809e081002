import EmulatorHarness
import Foundation
import Testing

/// Findings of the conformance pass against workspaces.md, shares.md, storage.md and events-activity-realtime.md:
/// each test pins a documented status, key or route the emulator previously got wrong or lacked.
@Suite struct ConformanceTests {
    @Test func nameAvailabilityChecksAnswer202Or406() async throws {
        try await withServer { server in
            let ws = try await server.fx.createWorkspace(folderName: "taken-name")
            let free = try await server.api.get("workspaces/check/name/free-name-\(Int.random(in: 1000...9999))/")
            #expect(free.status == 202 && free.isSuccess, "free folder name: \(free)")
            expectError(try await server.api.get("workspaces/check/name/taken-name/"), status: 406, name: "APP_NOT_ACCEPTABLE")
            expectError(try await server.api.get("workspaces/check/name/bad%20name/"), status: 400, code: 1605)

            _ = try await server.fx.createPortalShare(workspace: ws.id, customName: "taken-share-name")
            let freeShare = try await server.api.get("shares/check/name/free-share-\(Int.random(in: 1000...9999))/")
            #expect(freeShare.status == 202 && freeShare.isSuccess, "free share name: \(freeShare)")
            expectError(try await server.api.get("shares/check/name/taken-share-name/"), status: 406, name: "APP_NOT_ACCEPTABLE")
            expectError(try await server.api.get("shares/check/name/short/"), status: 400, code: 1605)
        }
    }

    @Test func memberDetailsLeaveAndAvailableWorkspaces() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let available = expectOK(try await server.otherAPI.get("workspaces/available/"))
            #expect(available["workspaces"].array?.contains { $0["id"].string == ws.id } == true, "\(available)")
            #expect(available["pagination"]["total"].int != nil)

            try await server.fx.addMember(workspace: ws.id, user: otherId)
            let joined = expectOK(try await server.otherAPI.get("workspaces/available/"))
            #expect(joined["workspaces"].array?.contains { $0["id"].string == ws.id } == false, "joined is not available")
            let details = expectOK(try await server.api.get("workspace/\(ws.id)/member/\(otherId)/details/"))
            #expect(details["member"]["id"].string == otherId && details["member"]["permissions"].string == "member", "\(details)")

            let me = try await server.fx.userId()
            expectError(try await server.api.delete("workspace/\(ws.id)/member/"), status: 400, code: 1605)
            expectOK(try await server.otherAPI.delete("workspace/\(ws.id)/member/"))
            #expect([403, 404].contains(try await server.otherAPI.get("workspace/\(ws.id)/details/").status), "left the workspace")
            expectError(try await server.api.get("workspace/\(ws.id)/member/\(otherId)/details/"), status: 400, code: 1605)

            let share = try await server.fx.createPortalShare(workspace: ws.id, customName: "member-details-share")
            let owner = expectOK(try await server.api.get("share/\(share.id)/member/\(me)/details/"))
            #expect(owner["user"]["permissions"].string == "owner", "share member details use key `user`: \(owner)")
        }
    }

    @Test func outputLevelsHeadAndOptions() async throws {
        try await withWorkspace { server, ws in
            _ = try await server.fx.uploadSingle(ws.context, name: "f.txt", data: Data(text: "x"))
            expectError(try await server.api.get(ws.context.node("root", "list"), query: ["output": "terse,standard"]),
                        status: 400, code: 1605)
            let terse = expectOK(try await server.api.get(ws.context.node("root", "list"), query: ["output": "terse,markdown"]))
            #expect(terse["nodes"]["items"][0]["version"].exists == false, "terse drops version: \(terse)")
            let full = expectOK(try await server.api.get(ws.context.node("root", "list"), query: ["output": "full"]))
            #expect(full["nodes"]["items"][0]["hash"].string != nil)

            let head = try await server.api.head("user/auth/check/")
            #expect(head.status == 200 && head.body.isEmpty, "HEAD on a JSON route: \(head)")
            let options = try await server.anonymous.send("OPTIONS", "user/auth/check/")
            #expect(options.status == 204, "\(options)")
            #expect(options.header("allow")?.contains("POST") == true)
        }
    }

    @Test func recentCursorErrorsAre406AndItemsCarryUpdated() async throws {
        try await withWorkspace { server, ws in
            _ = try await server.fx.uploadSingle(ws.context, name: "r.txt", data: Data(text: "r"))
            let recent = expectOK(try await server.api.get(ws.context.storagePath + "/recent/"))
            #expect(recent["nodes"]["items"][0]["updated"].string != nil, "\(recent)")
            expectError(try await server.api.get(ws.context.storagePath + "/recent/", query: ["cursor": "bogus.cursor"]),
                        status: 406, code: 1605)
        }
    }

    @Test func eventsSearchDateFormsOutputAndDetails() async throws {
        try await withWorkspace { server, ws in
            let file = try await server.fx.uploadSingle(ws.context, name: "e.txt", data: Data(text: "e"))
            for since in ["2020-01-01T00:00:00Z", "2020-01-01 00:00:00"] {
                let r = expectOK(try await server.api.get("events/search/", query: ["workspace_id": ws.id, "created-min": since]))
                #expect((r["events"].array ?? []).contains { $0["event"].string == "workspace_storage_file_added" }, "\(since): \(r)")
            }
            let terse = expectOK(try await server.api.get("events/search/", query: ["workspace_id": ws.id, "output": "terse"]))
            let first = try #require(terse["events"].array?.first?.object, "\(terse)")
            #expect(Set(first.keys).isSubset(of: ["event_id", "event", "category", "object_id", "created"]), "\(first.keys)")
            expectError(try await server.api.get("events/search/", query: ["workspace_id": ws.id, "output": "terse,full"]),
                        status: 400, code: 1605)

            let all = expectOK(try await server.api.get("events/search/", query: ["workspace_id": ws.id, "object_id": file]))
            let eventId = try #require(all["events"][0]["event_id"].string, "\(all)")
            let details = expectOK(try await server.api.get("event/\(eventId)/details/"))
            #expect(details["event"]["event_id"].string == eventId && details["event"]["object_id"].string == file, "\(details)")
            #expect(details["event"]["filename"].string == "e.txt", "\(details)")
            expectError(try await server.api.get("event/not-an-id/details/"), status: 400, code: 1605)
            expectError(try await server.api.get("event/c0000000000000000000000000000/details/"), status: 404, code: 1609)
        }
    }

    @Test func shareDetailsCarryTheDocumentedSettingObjects() async throws {
        try await withWorkspace { server, ws in
            let share = try await server.fx.createPortalShare(workspace: ws.id, customName: "settings-share")
            let details = expectOK(try await server.api.get("share/\(share.id)/details/"))["share"]
            for key in ["activity_tracking", "comments", "filesystem", "event_flow", "multiplayer", "member_visibility", "invite",
                        "capabilities"] {
                #expect(details[key].object != nil, "share.\(key): \(details)")
            }
            #expect(details["share_category"].string == "portal" && details["is_orphaned"].bool == false)
        }
    }
}
