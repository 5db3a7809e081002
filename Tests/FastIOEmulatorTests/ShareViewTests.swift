import EmulatorHarness
import Foundation
import Testing

/// A workspace_folder share is a live view of its folder: same node ids, `root` mapped to the folder,
/// nothing outside it reachable; storage routes also work with folder_name / custom_name.
@Suite struct ShareViewTests {
    @Test func folderShareIsALiveView() async throws {
        try await withWorkspace { server, ws in
            let shared = try await server.fx.createFolder(ws.context, name: "Shared")
            let sub = try await server.fx.createFolder(ws.context, parent: shared, name: "sub")
            let before = try await server.fx.uploadSingle(ws.context, parent: shared, name: "before.txt", data: Data(text: "b"))
            let outside = try await server.fx.uploadSingle(ws.context, name: "outside.txt", data: Data(text: "o"))
            let share = try await server.fx.createFolderShare(workspace: ws.id, folderNodeId: shared,
                                                              customName: "live-view-share")

            let after = try await server.fx.uploadSingle(ws.context, parent: shared, name: "after.txt", data: Data(text: "a"))
            let listed = try await server.fx.listAll(share.context)
            #expect(Set(listed.ids) == [sub, before, after], "share root lists the folder: \(listed.names)")
            #expect(listed.allSatisfy { $0["parent"].string == "root" }, "items directly in the share show parent root")
            #expect(try await server.fx.read(share.context, after) == Data(text: "a"))
            let subDetails = try await server.fx.details(share.context, sub)
            #expect(subDetails["id"].string == sub && subDetails["parent"].string == "root")

            expectError(try await server.api.get(share.context.node(outside, "details")), status: 404)
            expectError(try await server.api.get(share.context.node(outside, "read")), status: 404)

            // Writes through the share land in the workspace folder.
            let viaShare = try await server.fx.uploadSingle(share.context, parent: sub, name: "via-share.txt",
                                                            data: Data(text: "s"))
            #expect(try await server.fx.listAll(ws.context, sub).ids == [viaShare])
            let folderViaShare = try await server.fx.createFolder(share.context, name: "made-in-share")
            let wsNode = try await server.fx.details(ws.context, folderViaShare)
            #expect(Formats.sameId(wsNode["parent"].string, shared), "\(wsNode)")

            // Lookup by custom_name and folder_name on storage routes.
            let byName = try await server.fx.listAll(.share("live-view-share"))
            #expect(Set(byName.ids) == Set(try await server.fx.listAll(share.context).ids))
            let byFolderName = try await server.fx.listAll(.workspace(ws.folderName))
            #expect(byFolderName.ids.contains(outside))

            // Moving a node out of the folder removes it from the share.
            expectOK(try await server.api.post(ws.context.node(before, "move"), form: ["parent": "root"]))
            expectError(try await server.api.get(share.context.node(before, "details")), status: 404)
        }
    }
}
