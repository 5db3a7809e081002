import EmulatorHarness
import Foundation
import Testing

/// Orgs, workspaces, members and shares: creation, lookup by id and by name, access for a second user.
@Suite struct DiscoveryTests {
    @Test func orgsAndWorkspaceCreation() async throws {
        try await withServer { server in
            let orgs = expectOK(try await server.api.get("orgs/list/"))
            let org = try need(orgs["orgs"][0]["id"].string, "orgs[0].id: \(orgs)")
            #expect(Formats.isProfileId(org))
            let external = expectOK(try await server.api.get("orgs/list/external/"))
            #expect(external["orgs"].array?.isEmpty == true, "\(external)")

            let ws = try await server.fx.createWorkspace(folderName: "proj-1", name: "Project One")
            #expect(Formats.isProfileId(ws.id), "workspace id \(ws.id)")
            #expect(ws.folderName == "proj-1")

            let form = ["folder_name": "proj-1", "name": "Again", "perm_join": "Member or above",
                        "perm_member_manage": "Member or above", "intelligence": "false"]
            expectError(try await server.api.post("org/\(org)/create/workspace/", form: form),
                        status: 406, name: "APP_NOT_ACCEPTABLE")
            var bad = form
            bad["folder_name"] = "bad name!"
            expectError(try await server.api.post("org/\(org)/create/workspace/", form: bad), status: 400, code: 1605)
            var shortName = form
            shortName["folder_name"] = "proj-2"
            shortName["name"] = "x"
            expectError(try await server.api.post("org/\(org)/create/workspace/", form: shortName),
                        status: 400, code: 1605)

            let all = expectOK(try await server.api.get("workspaces/all/"))
            #expect(all["workspaces"].array?.ids.contains(ws.id) == true, "\(all)")
            let byOrg = expectOK(try await server.api.get("org/\(org)/list/workspaces/"))
            #expect(byOrg["workspaces"].array?.ids.contains(ws.id) == true, "\(byOrg)")
            #expect(byOrg["pagination"]["total"].int != nil, "org list pagination: \(byOrg)")

            for key in [ws.id, ws.folderName] {
                let details = expectOK(try await server.api.get("workspace/\(key)/details/"))
                #expect(details["workspace"]["id"].string == ws.id, "\(details)")
                #expect(details["workspace"]["folder_name"].string == "proj-1")
                #expect(details["workspace"]["name"].string == "Project One")
                #expect(Formats.isServerTimestamp(details["workspace"]["created"].string), "\(details)")
            }
            expectError(try await server.api.get("workspace/1234567890123456789/details/"), status: 404)
        }
    }

    @Test func secondUserSeesNothingUntilAddedAsMember() async throws {
        try await withWorkspace { server, ws in
            let file = try await server.fx.uploadSingle(ws.context, name: "shared.txt", data: Data(text: "team"))
            let otherId = try await server.otherFx.userId()

            let before = expectOK(try await server.otherAPI.get("workspaces/all/"))
            #expect(before["workspaces"].array?.ids.contains(ws.id) != true, "\(before)")
            let denied = try await server.otherAPI.get(ws.context.node("root", "list"))
            #expect([403, 404].contains(denied.status) && denied.isFailureEnvelope, "\(denied)")
            let deniedRead = try await server.otherAPI.get(ws.context.node(file, "read"))
            #expect([403, 404].contains(deniedRead.status), "\(deniedRead)")

            try await server.fx.addMember(workspace: ws.id, user: otherId)
            let after = expectOK(try await server.otherAPI.get("workspaces/all/"))
            #expect(after["workspaces"].array?.ids.contains(ws.id) == true, "\(after)")
            let listed = try await server.otherFx.listAll(ws.context)
            #expect(listed.names == ["shared.txt"])
            #expect(try await server.otherFx.read(ws.context, file) == Data(text: "team"))

            let members = expectOK(try await server.api.get("workspace/\(ws.id)/members/list/"))
            let users = members["users"].array ?? []
            let me = try await server.fx.userId()
            #expect(users.first { $0["id"].string == me }?["permissions"].string == "owner", "\(members)")
            #expect(users.first { $0["id"].string == otherId }?["permissions"].string == "member", "\(members)")

            let invite = expectOK(try await server.api.post("workspace/\(ws.id)/members/nobody@example.com/",
                                                            form: ["permissions": "member"]))
            #expect(invite["invitation"]["invitee_email"].string == "nobody@example.com", "\(invite)")

            expectOK(try await server.api.delete("workspace/\(ws.id)/members/\(otherId)/"))
            let removed = try await server.otherAPI.get(ws.context.node("root", "list"))
            #expect([403, 404].contains(removed.status), "access must end after removal: \(removed)")
        }
    }

    @Test func sharesCreateListAndLookup() async throws {
        try await withWorkspace { server, ws in
            let portal = try await server.fx.createPortalShare(workspace: ws.id, customName: "portal-share-one")
            #expect(Formats.isProfileId(portal.id), "share id \(portal.id)")
            #expect(portal.customName == "portal-share-one")

            let folder = try await server.fx.createFolder(ws.context, name: "Deliverables")
            let created = expectOK(try await server.api.post("workspace/\(ws.id)/create/share/", form: [
                "title": "Folder share", "share_type": "exchange", "intelligence": "false",
                "access_options": "Only members of the Share or Workspace", "invite": "owners",
                "storage_mode": "workspace_folder", "folder_node_id": folder,
            ]))
            let shared = created["share"]
            #expect(shared["storage_mode"].string == "workspace_folder", "\(created)")
            #expect(shared["share_category"].string == "shared_folder", "\(created)")
            #expect(Formats.sameId(shared["folder_node_id"].string, folder), "\(created)")
            let folderShareId = try need(shared["id"].string, "share.id")
            let autoName = try need(shared["custom_name"].string, "auto-generated custom_name: \(created)")
            #expect(!autoName.isEmpty)

            let portalDetails = expectOK(try await server.api.get("share/\(portal.id)/details/"))
            #expect(portalDetails["share"]["storage_mode"].string == "independent", "\(portalDetails)")
            #expect(portalDetails["share"]["share_category"].string == "portal", "\(portalDetails)")

            // Folder shared twice -> 406; duplicate custom_name -> 406; too-short custom_name -> 400.
            let again = try await server.api.post("workspace/\(ws.id)/create/share/", form: [
                "title": "Again", "share_type": "exchange", "intelligence": "false",
                "access_options": "Only members of the Share or Workspace", "invite": "owners",
                "storage_mode": "workspace_folder", "folder_node_id": folder,
            ])
            expectError(again, status: 406, name: "APP_NOT_ACCEPTABLE")
            let dupName = try await server.api.post("workspace/\(ws.id)/create/share/", form: [
                "title": "Dup", "share_type": "exchange", "intelligence": "false",
                "access_options": "Only members of the Share or Workspace", "invite": "owners",
                "custom_name": "portal-share-one",
            ])
            expectError(dupName, status: 406, name: "APP_NOT_ACCEPTABLE")
            let shortName = try await server.api.post("workspace/\(ws.id)/create/share/", form: [
                "title": "Short", "share_type": "exchange", "intelligence": "false",
                "access_options": "Only members of the Share or Workspace", "invite": "owners",
                "custom_name": "short",
            ])
            expectError(shortName, status: 400, code: 1605)

            // create_folder=true makes a new workspace folder and shares it.
            let fresh = expectOK(try await server.api.post("workspace/\(ws.id)/create/share/", form: [
                "title": "New folder share", "share_type": "exchange", "intelligence": "false",
                "access_options": "Only members of the Share or Workspace", "invite": "owners",
                "storage_mode": "workspace_folder", "create_folder": "true", "folder_name": "Made For Share",
            ]))
            let madeFolder = fresh["share"]["folder_node_id"].string
            let rootNames = try await server.fx.listAll(ws.context).names
            #expect(rootNames.contains("Made For Share"), "\(rootNames)")
            #expect(madeFolder != nil, "\(fresh)")

            for route in ["shares/all/", "user/me/list/shares/", "workspace/\(ws.id)/list/shares/"] {
                let listed = expectOK(try await server.api.get(route))
                let ids = listed["shares"].array?.ids ?? []
                #expect(ids.contains(portal.id) && ids.contains(folderShareId), "\(route): \(listed)")
            }

            for key in [folderShareId, autoName] {
                let details = expectOK(try await server.api.get("share/\(key)/details/"))
                #expect(details["share"]["id"].string == folderShareId, "\(details)")
                #expect(Formats.sameId(details["share"]["folder_node_id"].string, folder), "\(details)")
                #expect(details["share"]["is_orphaned"].bool == false, "\(details)")
            }
            let byName = expectOK(try await server.api.get("share/portal-share-one/details/"))
            #expect(byName["share"]["id"].string == portal.id)
            expectError(try await server.api.get("share/no-such-share-name/details/"), status: 404)

            // Portal storage is independent of the workspace.
            let inPortal = try await server.fx.uploadSingle(portal.context, name: "p.txt", data: Data(text: "portal"))
            #expect(try await server.fx.listAll(portal.context).ids.contains(inPortal))
            #expect(!(try await server.fx.listAll(ws.context).names.contains("p.txt")))
        }
    }

    @Test func shareMembersGrantAccessToTheShareOnly() async throws {
        try await withWorkspace { server, ws in
            let portal = try await server.fx.createPortalShare(workspace: ws.id, customName: "members-portal")
            _ = try await server.fx.uploadSingle(portal.context, name: "in-share.txt", data: Data(text: "s"))
            let otherId = try await server.otherFx.userId()
            let before = try await server.otherAPI.get(portal.context.node("root", "list"))
            #expect([403, 404].contains(before.status), "\(before)")
            expectOK(try await server.api.post("share/\(portal.id)/members/\(otherId)/", form: ["permissions": "member"]))
            let listed = try await server.otherFx.listAll(portal.context)
            #expect(listed.names == ["in-share.txt"])
            let members = expectOK(try await server.api.get("share/\(portal.id)/members/list/"))
            #expect(members["users"].array?.ids.contains(otherId) == true, "\(members)")
            let ws403 = try await server.otherAPI.get(ws.context.node("root", "list"))
            #expect([403, 404].contains(ws403.status), "share membership must not open the workspace: \(ws403)")
            let shares = expectOK(try await server.otherAPI.get("shares/all/"))
            #expect(shares["shares"].array?.ids.contains(portal.id) == true, "\(shares)")
        }
    }
}
