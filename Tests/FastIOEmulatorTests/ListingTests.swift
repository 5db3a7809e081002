import EmulatorHarness
import Foundation
import Testing

/// Folder listing: keyset pagination in every sort order, page_size snapping, signed cursors.
@Suite struct ListingTests {
    static let fileCount = 257
    static let folderCount = 5

    /// A workspace with folder `big` (257 files + 5 folders) and folder `small` (2 files).
    func populate(_ server: TestServer) async throws -> (Fixtures.Workspace, big: String, small: String) {
        let ws = try await server.fx.createWorkspace()
        let big = try await server.fx.createFolder(ws.context, name: "big")
        let small = try await server.fx.createFolder(ws.context, name: "small")
        for i in 0..<Self.folderCount { _ = try await server.fx.createFolder(ws.context, parent: big, name: "dir-\(i)") }
        let fx = server.fx
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in stride(from: 0, to: Self.fileCount, by: 32) {
                group.addTask {
                    for i in batch..<min(batch + 32, Self.fileCount) {
                        _ = try await fx.uploadSingle(ws.context, parent: big, name: String(format: "file-%03d.txt", i),
                                                      data: Data(text: String(repeating: "x", count: i % 9 + 1)))
                    }
                }
            }
            try await group.waitForAll()
        }
        for name in ["a.txt", "b.txt"] {
            _ = try await server.fx.uploadSingle(ws.context, parent: small, name: name, data: Data(text: name))
        }
        return (ws, big, small)
    }

    /// Pages through `folder` and returns the pages' items.
    func pages(_ server: TestServer, _ ws: Fixtures.Workspace, _ folder: String,
               _ query: [String: String]) async throws -> [[JSON]]
    {
        var result: [[JSON]] = []
        var q = query
        for _ in 0..<50 {
            let payload = expectOK(try await server.api.get(ws.context.node(folder, "list"), query: q))
            result.append(payload["nodes"]["items"].array ?? [])
            let pagination = payload["pagination"]
            if pagination["has_more"].bool != true {
                #expect(pagination["next_cursor"].isNull || !pagination["next_cursor"].exists,
                        "last page must have next_cursor null: \(pagination)")
                return result
            }
            q["cursor"] = try need(pagination["next_cursor"].string, "next_cursor with has_more: \(pagination)")
        }
        Issue.record("pagination did not terminate")
        return result
    }

    @Test func everySortOrderPagesWithoutRepeatsOrGaps() async throws {
        try await withServer { server in
            let (ws, big, _) = try await populate(server)
            let total = Self.fileCount + Self.folderCount
            for sortBy in ["name", "updated", "created", "type"] {
                for dir in ["asc", "desc"] {
                    let pages = try await pages(server, ws, big, ["sort_by": sortBy, "sort_dir": dir])
                    let items = pages.flatMap { $0 }
                    let label = "\(sortBy) \(dir)"
                    #expect(pages.map(\.count) == [100, 100, 62], "\(label): page sizes \(pages.map(\.count))")
                    #expect(items.count == total, "\(label): \(items.count) items")
                    #expect(Set(items.ids).count == total, "\(label): repeated ids")
                    let key: (JSON) -> String = { node in
                        switch sortBy {
                        case "name": return node["name"].string ?? ""
                        case "updated": return node["modified"].string ?? ""
                        case "created": return node["created"].string ?? ""
                        default: return node["type"].string ?? ""
                        }
                    }
                    let keys = items.map(key)
                    if sortBy == "type" {
                        let changes = zip(keys, keys.dropFirst()).filter { $0 != $1 }.count
                        #expect(changes == 1, "\(label): types not grouped: \(keys)")
                    } else {
                        let ordered = dir == "asc" ? keys == keys.sorted() : keys == keys.sorted(by: >)
                        #expect(ordered, "\(label): not ordered")
                    }
                }
            }
        }
    }

    @Test func pageSizeSnapsAndCursorPageSizeWins() async throws {
        try await withServer { server in
            let (ws, big, _) = try await populate(server)
            let cases: [(String, Int)] = [("50", 100), ("120", 100), ("200", 250), ("250", 250), ("300", 250),
                                          ("400", 500), ("1000", 500)]
            for (asked, expected) in cases {
                let payload = expectOK(try await server.api.get(ws.context.node(big, "list"),
                                                                query: ["page_size": asked]))
                #expect(payload["pagination"]["page_size"].int == expected, "page_size \(asked): \(payload["pagination"])")
                let count = payload["nodes"]["items"].array?.count ?? -1
                #expect(count == min(expected, Self.fileCount + Self.folderCount), "page_size \(asked): \(count) items")
            }
            let first = expectOK(try await server.api.get(ws.context.node(big, "list"), query: ["page_size": "250"]))
            let cursor = try need(first["pagination"]["next_cursor"].string, "cursor")
            let second = expectOK(try await server.api.get(ws.context.node(big, "list"),
                                                           query: ["page_size": "100", "cursor": cursor]))
            #expect(second["pagination"]["page_size"].int == 250, "cursor's page size must win: \(second["pagination"])")
            #expect(second["nodes"]["items"].array?.count == 12)
            #expect(second["pagination"]["has_more"].bool == false)
        }
    }

    @Test func badCursorsAreRejected() async throws {
        try await withServer { server in
            let (ws, big, small) = try await populate(server)
            let first = expectOK(try await server.api.get(ws.context.node(big, "list")))
            let cursor = try need(first["pagination"]["next_cursor"].string, "cursor")

            var chars = Array(cursor)
            let middle = chars.count / 3
            chars[middle] = chars[middle] == "A" ? "B" : "A"
            let tampered = String(chars)
            expectError(try await server.api.get(ws.context.node(big, "list"), query: ["cursor": tampered]),
                        status: 400, code: 1605)
            expectError(try await server.api.get(ws.context.node(big, "list"), query: ["cursor": "not-a-cursor"]),
                        status: 400, code: 1605)
            expectError(try await server.api.get(ws.context.node(small, "list"), query: ["cursor": cursor]),
                        status: 400, code: 1605)
            expectError(try await server.api.get(ws.context.node(big, "list"),
                                                 query: ["cursor": cursor, "sort_by": "created"]),
                        status: 400, code: 1605)
            // The genuine cursor still works.
            expectOK(try await server.api.get(ws.context.node(big, "list"), query: ["cursor": cursor]))
        }
    }

    @Test func listingShapeAndErrors() async throws {
        try await withWorkspace { server, ws in
            let folder = try await server.fx.createFolder(ws.context, name: "docs")
            let file = try await server.fx.uploadSingle(ws.context, parent: folder, name: "f.txt", data: Data(text: "f"))
            let root = expectOK(try await server.api.get(ws.context.node("root", "list")))
            #expect(root["nodes"]["items"].array?.count == 1)
            #expect(root["nodes"]["path"].exists, "nodes.path: \(root)")
            #expect(root["nodes"]["parent"].exists, "nodes.parent: \(root)")
            #expect(root["pagination"]["has_more"].bool == false)
            #expect(root["pagination"]["page_size"].int == 100)
            let inner = expectOK(try await server.api.get(ws.context.node(folder, "list")))
            let item = inner["nodes"]["items"][0]
            #expect(item["id"].string == file && Formats.sameId(item["parent"].string, folder), "\(inner)")

            expectError(try await server.api.get(ws.context.node(file, "list")), status: 400, code: 1605)
            let missing = try await vanishedNodeId(server.fx, ws.context)
            expectError(try await server.api.get(ws.context.node(missing, "list")), status: 404, code: 1609,
                        name: "APP_ERROR_NOT_FOUND")
            let empty = expectOK(try await server.api.get(ws.context.node("trash", "list")))
            #expect(empty["nodes"]["items"].array?.isEmpty == true, "trash after purge: \(empty)")
        }
    }
}
