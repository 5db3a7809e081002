import EmulatorHarness
import Foundation
import Testing

/// Access control as the documents state it (access contract, issue 16): workspace roles, share levels and
/// `filesystem` permissions, refusals with 403/1680, 403/144499 and 404/9992, member role updates.
@Suite struct AccessTests {
    // MARK: helpers

    /// Creates a portal share of the given type (send, receive, exchange) as the primary user.
    func portalShare(_ server: TestServer, workspace: String, type: String, name: String) async throws -> Fixtures.Share {
        let r = expectOK(try await server.api.post("workspace/\(workspace)/create/share/", form: [
            "title": "\(type) share", "share_type": type, "custom_name": name, "intelligence": "false",
            "access_options": "Only members of the Share or Workspace", "invite": "owners",
        ]))
        let id = try need(r["share"]["id"].string, "share.id: \(r)")
        return Fixtures.Share(id: id, customName: name)
    }

    func addShareMember(_ server: TestServer, share: String, user: String, permissions: String) async throws {
        expectOK(try await server.api.post("share/\(share)/members/\(user)/", form: ["permissions": permissions]))
    }

    /// Expects 403, code 1680, APP_DENIED.
    func expectDenied(_ r: APIResponse, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 403 && r.errorCode == 1680 && r.errorName == "APP_DENIED", "\(what): \(r)",
                sourceLocation: sourceLocation)
    }

    /// A single-call upload response (placed at once, or refused).
    func upload(_ api: APIClient, _ ctx: StorageContext, parent: String = "root", name: String) async throws -> APIResponse {
        try await Fixtures(api).uploadSingleResponse(ctx, parent: parent, name: name, data: Data(text: name))
    }

    /// A complete upload session without a target (for `addfile` / `update` with `from`).
    func completeUpload(_ api: APIClient, name: String) async throws -> String {
        let session = try await Fixtures(api).uploadChunked(nil, name: name, data: Data(text: name), chunkSize: 1 << 20)
        return try need(session["id"].string, "upload id: \(session)")
    }

    func from(_ uploadId: String) -> String { #"{"type":"upload","upload":{"id":"\#(uploadId)"}}"# }

    /// Every change a read-only caller must be refused on `file` and `folder` in `ctx`, each 403/1680, and nothing
    /// changed afterwards.
    func expectNoChangeAllowed(_ server: TestServer, _ api: APIClient, _ ctx: StorageContext, file: String, folder: String,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws
    {
        let before = try await server.fx.listAll(ctx)
        expectDenied(try await upload(api, ctx, name: "new.txt"), "single-call upload (addfile)", sourceLocation: sourceLocation)
        expectDenied(try await api.post("upload/", form: ["name": "chunked.txt", "size": "5", "action": "create",
                                                          "instance_id": ctx.profileId, "profile_type": ctx.profileType,
                                                          "folder_id": "root"]),
                     "upload session create", sourceLocation: sourceLocation)
        expectDenied(try await api.post("upload/", form: ["name": "v2.txt", "size": "5", "action": "update", "file_id": file,
                                                          "instance_id": ctx.profileId, "profile_type": ctx.profileType]),
                     "upload session with action update", sourceLocation: sourceLocation)
        let content = try await completeUpload(api, name: "content.txt")
        expectDenied(try await api.post(ctx.node("root", "addfile"), form: ["name": "added.txt", "from": from(content)]),
                     "addfile", sourceLocation: sourceLocation)
        expectDenied(try await api.post(ctx.node(file, "update"), form: ["from": from(content)]), "new version",
                     sourceLocation: sourceLocation)
        expectDenied(try await api.post(ctx.node("root", "createfolder"), form: ["name": "made"]), "createfolder",
                     sourceLocation: sourceLocation)
        expectDenied(try await api.post(ctx.node(file, "update"), form: ["name": "renamed.txt"]), "rename",
                     sourceLocation: sourceLocation)
        expectDenied(try await api.post(ctx.node(file, "move"), form: ["parent": folder]), "move", sourceLocation: sourceLocation)
        expectDenied(try await api.post(ctx.node(file, "copy"), form: ["parent": folder]), "copy", sourceLocation: sourceLocation)
        expectDenied(try await api.delete(ctx.node(file, "delete")), "delete file", sourceLocation: sourceLocation)
        expectDenied(try await api.delete(ctx.node(folder, "delete")), "delete folder", sourceLocation: sourceLocation)
        expectDenied(try await api.post(ctx.node(file, "lock")), "lock", sourceLocation: sourceLocation)
        let versions = expectOK(try await server.api.get(ctx.node(file, "versions")))["versions"].array ?? []
        if let first = versions.last?["id"].string {
            expectDenied(try await api.post(ctx.node(file, "restore-version"), form: ["version_id": first]), "restore-version",
                         sourceLocation: sourceLocation)
        }
        let after = try await server.fx.listAll(ctx)
        #expect(Set(after.ids) == Set(before.ids) && Set(after.names) == Set(before.names), "nothing changed: \(after.names)",
                sourceLocation: sourceLocation)
        #expect(expectOK(try await server.api.get(ctx.node(file, "lock")))["locked"].bool == false, sourceLocation: sourceLocation)
    }

    // MARK: workspace roles

    @Test func workspaceViewMemberReadsButCannotChange() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let folder = try await server.fx.createFolder(ws.context, name: "docs")
            let file = try await server.fx.uploadSingle(ws.context, name: "a.txt", data: Data(text: "a"))
            try await server.fx.addMember(workspace: ws.id, user: otherId, permissions: "view")

            let me = expectOK(try await server.otherAPI.get("workspace/\(ws.id)/member/\(otherId)/details/"))
            #expect(me["member"]["permissions"].string == "view", "\(me)")
            #expect(Set(try await server.otherFx.listAll(ws.context).ids) == [folder, file])
            #expect(try await server.otherFx.read(ws.context, file) == Data(text: "a"))
            expectOK(try await server.otherAPI.get(ws.context.node(file, "lock")))

            try await expectNoChangeAllowed(server, server.otherAPI, ws.context, file: file, folder: folder)
            expectDenied(try await server.otherAPI.post(ws.context.node("root", "createnote"), form: ["name": "n.md", "content": "x"]),
                         "createnote")
            let share = try await portalShare(server, workspace: ws.id, type: "exchange", name: "link-target-share")
            expectDenied(try await server.otherAPI.post(ws.context.node("root", "addlink"), form: ["share": share.id]), "addlink")
            let denied = try await server.otherAPI.post("workspace/\(ws.id)/create/share/", form: [
                "title": "Made by view", "storage_mode": "workspace_folder", "create_folder": "true", "folder_name": "sneaky",
            ])
            expectDenied(denied, "create_folder through create/share")
        }
    }

    @Test func workspaceViewMemberCannotTouchTheTrashOrLocks() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            try await server.fx.addMember(workspace: ws.id, user: otherId, permissions: "guest")
            let file = try await server.fx.uploadSingle(ws.context, name: "t.txt", data: Data(text: "t"))
            let mine = try await server.otherFx.uploadSingle(ws.context, name: "locked-by-other.txt", data: Data(text: "l"))
            let token = try need(expectOK(try await server.otherAPI.post(ws.context.node(mine, "lock")))["lock_token"].string, "token")
            expectOK(try await server.api.delete(ws.context.node(file, "delete")))

            // Demoted to view while holding a lock: heartbeat, release, restore and emptying the trash are changes.
            expectOK(try await server.api.post("workspace/\(ws.id)/member/\(otherId)/update/", form: ["permissions": "view"]))
            expectDenied(try await server.otherAPI.post(ws.context.node(mine, "lock/heartbeat"), form: ["lock_token": token]),
                         "heartbeat")
            expectDenied(try await server.otherAPI.delete(ws.context.node(mine, "lock"), form: ["lock_token": token]), "release")
            expectDenied(try await server.otherAPI.post(ws.context.node(file, "restore")), "restore")
            expectDenied(try await server.otherAPI.delete(ws.context.node("trash", "delete")), "empty trash")
            expectDenied(try await server.otherAPI.delete(ws.context.node(file, "purge")), "purge")
            let trash = try await server.fx.listAll(ws.context, "trash")
            #expect(trash.ids.contains(file), "still in the trash: \(trash.names)")
        }
    }

    @Test func workspaceGuestChangesButCannotPurge() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            try await server.fx.addMember(workspace: ws.id, user: otherId, permissions: "guest")
            let ownerFile = try await server.fx.uploadSingle(ws.context, name: "owner.txt", data: Data(text: "o"))

            let folder = try await server.otherFx.createFolder(ws.context, name: "guest-folder")
            let file = try await server.otherFx.uploadSingle(ws.context, parent: folder, name: "g.txt", data: Data(text: "g"))
            expectOK(try await server.otherAPI.post(ws.context.node(ownerFile, "update"), form: ["name": "renamed-by-guest.txt"]))
            expectOK(try await server.otherAPI.post(ws.context.node(ownerFile, "move"), form: ["parent": folder]))
            let lock = expectOK(try await server.otherAPI.post(ws.context.node(ownerFile, "lock")))
            expectOK(try await server.otherAPI.delete(ws.context.node(ownerFile, "lock"),
                                                      form: ["lock_token": lock["lock_token"].string ?? ""]))
            expectOK(try await server.otherAPI.delete(ws.context.node(file, "delete")))
            expectOK(try await server.otherAPI.post(ws.context.node(file, "restore")))
            expectOK(try await server.otherAPI.delete(ws.context.node(file, "delete")))

            let purge = try await server.otherAPI.delete(ws.context.node(file, "purge"))
            expectDenied(purge, "guest purge")
            #expect(purge.json?["error"]["text"].string?.contains("member") == true, "names the missing role: \(purge)")
            #expect(try await server.fx.listAll(ws.context, "trash").ids.contains(file), "not purged")
            expectOK(try await server.api.delete(ws.context.node(file, "purge")))
        }
    }

    // MARK: shares

    @Test func sendShareRecipientListsAndReadsButChangesNothing() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let share = try await portalShare(server, workspace: ws.id, type: "send", name: "send-share-one")
            let folder = try await server.fx.createFolder(share.context, name: "out")
            let file = try await server.fx.uploadSingle(share.context, name: "deliverable.txt", data: Data(text: "d"))
            try await addShareMember(server, share: share.id, user: otherId, permissions: "member")

            let details = expectOK(try await server.otherAPI.get("share/\(share.id)/details/"))["share"]
            #expect(details["share_level"].string == "guest", "\(details)")
            let fs = details["filesystem"]
            #expect(fs["file_creation"].bool == false && fs["folder_creation"].bool == false, "\(fs)")
            #expect(fs["file_modification"].string == "none" && fs["folder_modification"].string == "none", "\(fs)")
            #expect(fs["file_download"].string == "all" && fs["file_view"].string == "all", "\(fs)")
            let ownerView = expectOK(try await server.api.get("share/\(share.id)/details/"))["share"]
            #expect(ownerView["share_level"].string == "owner" && ownerView["filesystem"]["file_modification"].string == "all")

            #expect(Set(try await server.otherFx.listAll(share.context).ids) == [folder, file])
            #expect(try await server.otherFx.read(share.context, file) == Data(text: "d"))
            try await expectNoChangeAllowed(server, server.otherAPI, share.context, file: file, folder: folder)
        }
    }

    @Test func viewShareMemberCannotChangeAnything() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let share = try await portalShare(server, workspace: ws.id, type: "exchange", name: "view-only-share")
            let folder = try await server.fx.createFolder(share.context, name: "in")
            let file = try await server.fx.uploadSingle(share.context, name: "doc.txt", data: Data(text: "v"))
            try await addShareMember(server, share: share.id, user: otherId, permissions: "view")

            let details = expectOK(try await server.otherAPI.get("share/\(share.id)/details/"))["share"]
            #expect(details["share_level"].string == "guest" && details["filesystem"]["file_creation"].bool == false, "\(details)")
            #expect(try await server.otherFx.read(share.context, file) == Data(text: "v"))
            try await expectNoChangeAllowed(server, server.otherAPI, share.context, file: file, folder: folder)
        }
    }

    @Test func exchangeGuestChangesOnlyWhatItCreated() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let share = try await portalShare(server, workspace: ws.id, type: "exchange", name: "exchange-share-one")
            let ownerFolder = try await server.fx.createFolder(share.context, name: "owner-folder")
            let ownerFile = try await server.fx.uploadSingle(share.context, name: "owner.txt", data: Data(text: "o"))
            try await addShareMember(server, share: share.id, user: otherId, permissions: "guest")

            let listed = expectOK(try await server.otherAPI.get("shares/all/"))["shares"].array ?? []
            let item = try need(listed.first { $0["id"].string == share.id }, "share in shares/all: \(listed)")
            #expect(item["share_level"].string == "guest", "\(item)")
            #expect(item["filesystem"]["file_creation"].bool == true && item["filesystem"]["file_modification"].string == "owned",
                    "\(item)")
            #expect(item["filesystem"]["folder_creation"].bool == true && item["filesystem"]["folder_modification"].string == "owned",
                    "\(item)")

            // Its own files and folders: create, rename, move, lock, delete.
            let mine = try await server.otherFx.uploadSingle(share.context, name: "mine.txt", data: Data(text: "m"))
            let myFolder = try await server.otherFx.createFolder(share.context, name: "my-folder")
            let node = try await server.otherFx.details(share.context, myFolder)
            #expect(node["origin"]["creator"].string == otherId, "folders carry origin.creator: \(node)")
            expectOK(try await server.otherAPI.post(share.context.node(mine, "update"), form: ["name": "mine2.txt"]))
            expectOK(try await server.otherAPI.post(share.context.node(mine, "move"), form: ["parent": myFolder]))
            let lock = expectOK(try await server.otherAPI.post(share.context.node(mine, "lock")))
            expectOK(try await server.otherAPI.post(share.context.node(mine, "lock/heartbeat"),
                                                    form: ["lock_token": lock["lock_token"].string ?? ""]))
            expectOK(try await server.otherAPI.delete(share.context.node(mine, "lock"),
                                                      form: ["lock_token": lock["lock_token"].string ?? ""]))
            let v2 = try await completeUpload(server.otherAPI, name: "v2.txt")
            expectOK(try await server.otherAPI.post(share.context.node(mine, "update"), form: ["from": from(v2)]))
            let copied = expectOK(try await server.otherAPI.post(share.context.node(ownerFile, "copy"), form: ["parent": myFolder]))
            #expect(copied["node"]["origin"]["creator"].string == otherId, "a copy belongs to whoever copied: \(copied)")

            // The owner's: refused, naming the permission.
            let rename = try await server.otherAPI.post(share.context.node(ownerFile, "update"), form: ["name": "stolen.txt"])
            expectDenied(rename, "rename another user's file")
            #expect(rename.json?["error"]["text"].string?.contains("file_modification") == true, "\(rename)")
            expectDenied(try await server.otherAPI.post(share.context.node(ownerFile, "move"), form: ["parent": myFolder]), "move")
            expectDenied(try await server.otherAPI.delete(share.context.node(ownerFile, "delete")), "delete")
            expectDenied(try await server.otherAPI.post(share.context.node(ownerFile, "lock")), "lock")
            expectDenied(try await server.otherAPI.post(share.context.node(ownerFile, "update"), form: ["from": from(v2)]),
                         "new version")
            expectDenied(try await server.otherAPI.post("upload/", form: [
                "name": "x.txt", "size": "1", "action": "update", "file_id": ownerFile, "instance_id": share.id,
                "profile_type": "share",
            ]), "upload session updating another user's file")
            let folderRename = try await server.otherAPI.post(share.context.node(ownerFolder, "update"), form: ["name": "x"])
            expectDenied(folderRename, "rename another user's folder")
            #expect(folderRename.json?["error"]["text"].string?.contains("folder_modification") == true, "\(folderRename)")
            expectDenied(try await server.otherAPI.delete(share.context.node(ownerFolder, "delete")), "delete another user's folder")

            // Restore, purge and emptying the trash need owner level, even for its own file.
            expectOK(try await server.otherAPI.delete(share.context.node(mine, "delete")))
            expectDenied(try await server.otherAPI.post(share.context.node(mine, "restore")), "restore")
            expectDenied(try await server.otherAPI.delete(share.context.node(mine, "purge")), "purge")
            expectDenied(try await server.otherAPI.delete(share.context.node("trash", "delete")), "empty trash")
            expectOK(try await server.api.post(share.context.node(mine, "restore")))
            #expect(try await server.fx.details(share.context, ownerFile)["name"].string == "owner.txt")
        }
    }

    @Test func uploadPermissionIsCheckedAgainAtPlacement() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            try await server.fx.addMember(workspace: ws.id, user: otherId, permissions: "guest")
            let data = Data(text: "placed later")
            let session = try await server.otherFx.createUploadSession(ws.context, name: "late.txt", size: data.count)
            expectOK(try await server.otherFx.sendChunk(session, order: 1, data: data))

            expectOK(try await server.api.post("workspace/\(ws.id)/member/\(otherId)/update/", form: ["permissions": "view"]))
            _ = try await server.otherFx.complete(session)
            let final = try await server.otherFx.waitForUpload(session, until: ["stored", "store_failed"])
            #expect(final["status"].string == "store_failed", "\(final)")
            #expect(final["status_message"].string?.contains("guest") == true, "names the missing role: \(final)")
            #expect(!(try await server.fx.listAll(ws.context).names.contains("late.txt")))
        }
    }

    @Test func notesAndLinksAreNotShareRoutes() async throws {
        try await withWorkspace { server, ws in
            let share = try await portalShare(server, workspace: ws.id, type: "exchange", name: "no-notes-share")
            let file = try await server.fx.uploadSingle(share.context, name: "f.txt", data: Data(text: "f"))
            for client in [server.api, server.otherAPI] {
                expectError(try await client.post(share.context.node("root", "createnote"), form: ["name": "n.md", "content": "x"]),
                            status: 404, code: 9992, name: "APP_UNKNOWN_ROUTE")
                expectError(try await client.post(share.context.node(file, "updatenote"), form: ["content": "x"]),
                            status: 404, code: 9992, name: "APP_UNKNOWN_ROUTE")
                expectError(try await client.post(share.context.node("root", "addlink"), form: ["share": share.id]),
                            status: 404, code: 9992, name: "APP_UNKNOWN_ROUTE")
            }
            #expect(try await server.fx.listAll(share.context).names == ["f.txt"])
        }
    }

    @Test func aShareTheCallerCannotSeeIsDenied() async throws {
        try await withWorkspace { server, ws in
            let share = try await portalShare(server, workspace: ws.id, type: "exchange", name: "private-share-1")
            let file = try await server.fx.uploadSingle(share.context, name: "secret.txt", data: Data(text: "s"))
            let otherId = try await server.otherFx.userId()
            for path in ["share/\(share.id)/details/", "share/\(share.customName)/details/", share.context.node("root", "list"),
                         share.context.node(file, "details"), share.context.node(file, "read"),
                         "share/\(share.id)/members/list/", "share/\(share.id)/member/\(otherId)/details/"] {
                let r = try await server.otherAPI.get(path)
                expectError(r, status: 403, code: 144499, name: "APP_DENIED")
                #expect(r.json?["error"]["text"].string == "You do not have permissions to view this share.", "\(path): \(r)")
            }
            expectError(try await server.otherAPI.post(share.context.node("root", "createfolder"), form: ["name": "x"]),
                        status: 403, code: 144499)
            expectError(try await server.otherAPI.post("share/\(share.id)/members/\(otherId)/", form: ["permissions": "admin"]),
                        status: 403, code: 144499)
            expectError(try await server.otherFx.uploadSingleResponse(share.context, name: "in.txt", data: Data(text: "i")),
                        status: 403, code: 144499)
            let ids = expectOK(try await server.otherAPI.get("shares/all/"))["shares"].array?.ids ?? []
            #expect(!ids.contains(share.id))
            expectError(try await server.otherAPI.get("share/no-such-share-anywhere/details/"), status: 404, code: 1609)
            expectError(try await server.otherAPI.get("share/1234567890123456789/storage/root/list/"), status: 404, code: 1609)
        }
    }

    @Test func workspaceRolesGiveShareLevels() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let folder = try await server.fx.createFolder(ws.context, name: "shared")
            let share = try await server.fx.createFolderShare(workspace: ws.id, folderNodeId: folder, customName: "folder-share-lv")
            try await server.fx.addMember(workspace: ws.id, user: otherId, permissions: "member")
            var s = expectOK(try await server.otherAPI.get("share/\(share.id)/details/"))["share"]
            #expect(s["share_level"].string == "owner" && s["filesystem"]["folder_modification"].string == "all", "\(s)")
            expectOK(try await server.api.post("workspace/\(ws.id)/member/\(otherId)/update/", form: ["permissions": "guest"]))
            s = expectOK(try await server.otherAPI.get("share/\(share.id)/details/"))["share"]
            #expect(s["share_level"].string == "guest" && s["filesystem"]["file_modification"].string == "owned", "\(s)")
            // A share membership of admin is better than the workspace's guest role.
            try await addShareMember(server, share: share.id, user: otherId, permissions: "admin")
            s = expectOK(try await server.otherAPI.get("share/\(share.id)/details/"))["share"]
            #expect(s["share_level"].string == "owner", "\(s)")
        }
    }

    // MARK: members

    @Test func memberUpdateChangesTheRole() async throws {
        try await withWorkspace { server, ws in
            let otherId = try await server.otherFx.userId()
            let me = try await server.fx.userId()
            let route = "workspace/\(ws.id)/member/\(otherId)/update/"
            expectError(try await server.api.post(route, form: ["permissions": "guest"]), status: 400, code: 1605)
            try await server.fx.addMember(workspace: ws.id, user: otherId, permissions: "member")
            let cursor = try need(try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "0"]).json?["lastactivity"].string,
                                  "cursor")

            expectOK(try await server.api.post(route, form: ["permissions": "view"]))
            let details = expectOK(try await server.otherAPI.get("workspace/\(ws.id)/member/\(otherId)/details/"))
            #expect(details["member"]["permissions"].string == "view", "\(details)")
            let poll = try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "5", "lastactivity": cursor])
            let keys = Set((poll.json?["activity"].object ?? [:]).keys)
            #expect(keys.contains("members") && keys.contains("member:\(otherId)"), "\(poll)")
            expectDenied(try await server.otherAPI.post(ws.context.node("root", "createfolder"), form: ["name": "no"]), "now view")

            expectError(try await server.api.post(route, form: ["permissions": "owner"]), status: 400, code: 1605)
            expectError(try await server.api.post(route, form: ["permissions": "boss"]), status: 400, code: 1605)
            expectError(try await server.api.post("workspace/\(ws.id)/member/\(me)/update/", form: ["permissions": "view"]),
                        status: 400, code: 1605)
            // The member itself is not owner/admin: refused.
            expectDenied(try await server.otherAPI.post(route, form: ["permissions": "admin"]), "self-promotion")
            expectDenied(try await server.otherAPI.post("workspace/\(ws.id)/members/\(me)/", form: ["permissions": "view"]),
                         "view adds members")

            // An admin may not raise anyone above admin, nor touch the owner.
            expectOK(try await server.api.post(route, form: ["permissions": "admin"]))
            expectOK(try await server.otherAPI.post(route, form: ["permissions": "member"]))
            #expect(expectOK(try await server.api.get("workspace/\(ws.id)/member/\(otherId)/details/"))["member"]["permissions"].string
                    == "member")

            let share = try await portalShare(server, workspace: ws.id, type: "exchange", name: "share-members-1")
            let shareRoute = "share/\(share.id)/member/\(otherId)/update/"
            expectError(try await server.api.post(shareRoute, form: ["permissions": "view"]), status: 400, code: 1605)
            try await addShareMember(server, share: share.id, user: otherId, permissions: "guest")
            expectOK(try await server.api.post(shareRoute, form: ["permissions": "view"]))
            let shareDetails = expectOK(try await server.api.get("share/\(share.id)/member/\(otherId)/details/"))
            #expect(shareDetails["user"]["permissions"].string == "view", "\(shareDetails)")
            // A workspace member (not admin) is not owner/admin of the share.
            expectDenied(try await server.otherAPI.post(shareRoute, form: ["permissions": "member"]), "share update by member")
        }
    }

    // MARK: events and activity

    @Test func eventsOfAnotherUserAreFilteredToWhatTheCallerCanSee() async throws {
        try await withServer { server in
            let otherId = try await server.otherFx.userId()
            let me = try await server.fx.userId()
            let hidden = try await server.fx.createWorkspace(name: "Hidden")
            let shared = try await server.fx.createWorkspace(name: "Shared")
            try await server.fx.addMember(workspace: shared.id, user: otherId, permissions: "view")
            let secret = try await server.fx.createFolder(hidden.context, name: "secret")
            let visible = try await server.fx.createFolder(shared.context, name: "visible")

            let r = expectOK(try await server.otherAPI.get("events/search/", query: ["user_id": me]))
            let events = r["events"].array ?? []
            #expect(events.contains { Formats.sameId($0["object_id"].string, visible) }, "\(events)")
            #expect(!events.contains { Formats.sameId($0["object_id"].string, secret) }, "event of a hidden workspace: \(events)")
            #expect(events.allSatisfy { $0["workspace_id"].string == shared.id }, "\(events)")
            let own = expectOK(try await server.api.get("events/search/", query: ["user_id": me]))["events"].array ?? []
            #expect(own.contains { Formats.sameId($0["object_id"].string, secret) }, "the actor sees its own events")
            let org = try await server.fx.orgId()
            let byOrg = expectOK(try await server.otherAPI.get("events/search/", query: ["org_id": org]))["events"].array ?? []
            #expect(!byOrg.contains { Formats.sameId($0["object_id"].string, secret) }, "\(byOrg)")

            expectDenied(try await server.otherAPI.get("events/search/", query: ["workspace_id": hidden.id]), "hidden workspace")
            expectDenied(try await server.otherAPI.get("events/search/", query: ["org_id": "1234567890123456789"]), "unknown org")
            let share = try await portalShare(server, workspace: hidden.id, type: "exchange", name: "hidden-share-ev")
            expectDenied(try await server.otherAPI.get("events/search/", query: ["share_id": share.id]), "hidden share")
        }
    }

    @Test func pollWithoutLastactivityWaits() async throws {
        try await withWorkspace { server, ws in
            let (idle, idleTime) = try await timed {
                try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "2", "updated": "1"])
            }
            #expect(idle.isSuccess && idle.json?["results"].int == 0, "\(idle)")
            #expect(idleTime >= 1.5 && idleTime < TestTime.scaled(8), "an idle poll without lastactivity waits (took \(idleTime) s)")
            let cursor = try need(idle.json?["lastactivity"].string, "lastactivity: \(idle)")
            #expect(Formats.isMicroTimestamp(cursor), "\(cursor)")

            // A change after the request arrived wakes it.
            let fx = server.fx
            async let folder: String = {
                try await Task.sleep(nanoseconds: 500_000_000)
                return try await fx.createFolder(ws.context, name: "wakes")
            }()
            let (woke, wokeTime) = try await timed {
                try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "20", "updated": "1"])
            }
            let id = try await folder
            #expect(wokeTime < TestTime.scaled(8), "returns on change (took \(wokeTime) s)")
            let keys = (woke.json?["activity"].object ?? [:]).keys.map { Formats.canonical($0) }
            #expect(keys.contains(Formats.canonical("storage:" + id)), "\(woke)")
            #expect((woke.json?["lastactivity"].string ?? "") > cursor, "\(woke)")
        }
    }
}
