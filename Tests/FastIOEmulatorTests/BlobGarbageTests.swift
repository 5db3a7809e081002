import EmulatorHarness
import Foundation
import Testing

/// Blob files are deleted once nothing references them: purge, emptying the trash, a cancelled upload session,
/// a rejected upload; identical content is still stored once and survives while any version uses it.
@Suite struct BlobGarbageTests {
    private func blobExists(_ server: TestServer, _ data: Data) -> Bool {
        let hash = SHA256.hex(of: data)
        let path = server.emulator.dataDirectory
            .appendingPathComponent("blobs/\(hash.prefix(2))/\(hash.dropFirst(2))").path
        return FileManager.default.fileExists(atPath: path)
    }

    private func unique(_ label: String) -> Data { Data(text: "\(label) \(UUID().uuidString)\n") }

    @Test func sharedContentLivesUntilItsLastReferenceIsPurged() async throws {
        try await withWorkspace { server, ws in
            let shared = unique("shared")
            let x = try await server.fx.uploadSingle(ws.context, name: "x.txt", data: shared)
            let y = try await server.fx.uploadSingle(ws.context, name: "y.txt", data: shared)
            #expect(blobExists(server, shared))

            expectOK(try await server.api.delete(ws.context.node(x, "delete")))
            #expect(blobExists(server, shared), "trash keeps content")
            expectOK(try await server.api.delete(ws.context.node(x, "purge")))
            #expect(blobExists(server, shared), "y.txt still uses the same blob")
            #expect(try await server.fx.read(ws.context, y) == shared)

            expectOK(try await server.api.delete(ws.context.node(y, "delete")))
            expectOK(try await server.api.delete(ws.context.node("trash", "delete")))
            #expect(!blobExists(server, shared), "emptying the trash frees the last reference")
        }
    }

    @Test func purgeFreesEveryVersionAndFolderContents() async throws {
        try await withWorkspace { server, ws in
            let folder = try await server.fx.createFolder(ws.context, name: "dir")
            let v1 = unique("v1")
            let v2 = unique("v2")
            let file = try await server.fx.uploadSingle(ws.context, parent: folder, name: "f.txt", data: v1)
            let session = try await server.fx.uploadChunked(nil, name: "f.txt", data: v2, chunkSize: v2.count)
            let uploadId = try #require(session["id"].string)
            expectOK(try await server.api.post(ws.context.node(file, "update"),
                                               form: ["from": "{\"type\":\"upload\",\"upload\":{\"id\":\"\(uploadId)\"}}"]))
            expectOK(try await server.api.delete("upload/\(uploadId)/"))
            #expect(blobExists(server, v1) && blobExists(server, v2), "both versions are kept")
            let note = unique("note")
            expectOK(try await server.api.post(ws.context.node(folder, "createnote"),
                                               form: ["name": "n.md", "content": String(decoding: note, as: UTF8.self)]))
            #expect(blobExists(server, note))

            expectOK(try await server.api.delete(ws.context.node(folder, "delete")))
            expectOK(try await server.api.delete(ws.context.node(folder, "purge")))
            #expect(!blobExists(server, v1) && !blobExists(server, v2), "purging the folder frees all versions below it")
            #expect(!blobExists(server, note))
        }
    }

    @Test func cancelledOrRejectedUploadsLeaveNoBlob() async throws {
        try await withWorkspace { server, ws in
            let orphan = unique("orphan")
            let session = try await server.fx.uploadChunked(nil, name: "o.txt", data: orphan, chunkSize: orphan.count)
            let uploadId = try #require(session["id"].string)
            #expect(blobExists(server, orphan), "a complete session holds its content for addfile")
            expectOK(try await server.api.delete("upload/\(uploadId)/"))
            #expect(!blobExists(server, orphan), "cancelling the session frees it")

            let badHash = unique("bad-hash")
            let r = try await server.fx.uploadSingleResponse(
                ws.context, name: "b.txt", data: badHash,
                extraFields: [("hash", String(repeating: "0", count: 64)), ("hash_algo", "sha256")])
            #expect(r.status == 406, "\(r)")
            #expect(!blobExists(server, badHash), "content failing its hash check is not kept")

            _ = try await server.fx.uploadSingle(ws.context, name: "taken.txt", data: unique("first"))
            let second = unique("second")
            expectError(try await server.fx.uploadSingleResponse(ws.context, name: "taken.txt", data: second), status: 400, code: 1605)
            #expect(!blobExists(server, second), "a single-call upload refused for its name leaves no blob")
            let clash = unique("clash")
            let dup = try await server.api.post(ws.context.node("root", "createnote"),
                                                form: ["name": "taken.txt.md", "content": "x"])
            expectOK(dup)
            let rejected = try await server.api.post(ws.context.node("root", "createnote"),
                                                     form: ["name": "taken.txt.md", "content": String(decoding: clash, as: UTF8.self)])
            expectError(rejected, status: 400, code: 1605)
            #expect(!blobExists(server, clash), "a note rejected for its name leaves no blob")
        }
    }
}
