import EmulatorHarness
import Foundation
import Testing

/// Node details: the node object's fields and formats, id forms on input, bulk details.
@Suite struct DetailsTests {
    @Test func fileNodeHasTheDocumentedFieldsAndRealFormats() async throws {
        try await withWorkspace { server, ws in
            let content = Data(text: "id,name\n1,alpha\n")
            let me = try await server.fx.userId()
            let folder = try await server.fx.createFolder(ws.context, name: "reports")
            let file = try await server.fx.uploadSingle(ws.context, parent: folder, name: "data.csv", data: content)
            let r = expectOK(try await server.api.get(ws.context.node(file, "details")))
            #expect(r["format"].string == "single", "\(r)")
            let node = r["node"]
            #expect(Formats.isOpaqueId(node["id"].string, type: "2"), "id \(node["id"])")
            #expect(node["id"].string == file)
            #expect(node["name"].string == "data.csv")
            #expect(node["type"].string == "file")
            #expect(Formats.sameId(node["parent"].string, folder), "parent \(node["parent"])")
            #expect(node["parent"].string == Formats.hyphenated(folder), "parent in display form")
            #expect(node["size"].int == content.count)
            #expect(node["hash"].string == SHA256.hex(of: content), "hash \(node["hash"])")
            #expect(node["hash_algo"].string == "sha256")
            #expect(node["mimetype"].string == "text/csv", "mimetype \(node["mimetype"])")
            #expect(node["mimecategory"].string != nil)
            #expect(Formats.isOpaqueId(node["version"].string, type: "3"), "version \(node["version"])")
            #expect(Formats.isServerTimestamp(node["created"].string), "created \(node["created"])")
            #expect(Formats.isServerTimestamp(node["modified"].string), "modified \(node["modified"])")
            #expect(node["restricted"].bool == false && node["dmca"].bool == false)
            #expect(node["locked"].bool == false)
            #expect(node["lock_info"].isNull, "lock_info \(node["lock_info"])")
            #expect(node["virus"]["status"].string == "scanned" && node["virus"]["infected"].bool == false)
            #expect(node["origin"]["type"].string == "upload")
            #expect(node["origin"]["creator"].string == me, "origin.creator \(node["origin"])")
            #expect(node["previews"].object != nil)
            #expect(node["ai"]["state"].string == "disabled")
            #expect(node["metadata"].isNull)

            let terse = expectOK(try await server.api.get(ws.context.node(file, "details"), query: ["output": "terse"]))
            #expect(!terse["node"]["version"].exists && !terse["node"]["hash"].exists
                && !terse["node"]["hash_algo"].exists, "terse keeps version/hash: \(terse)")
            #expect(terse["node"]["size"].int == content.count)

            let folderNode = try await server.fx.details(ws.context, folder)
            #expect(folderNode["type"].string == "folder")
            #expect(folderNode["parent"].string == "root")
            #expect(!folderNode["hash"].exists && !folderNode["version"].exists, "folder: \(folderNode)")
        }
    }

    @Test func idsAreAcceptedHyphenatedOrNotInAnyCase() async throws {
        try await withWorkspace { server, ws in
            let file = try await server.fx.uploadSingle(ws.context, name: "x.bin", data: .pseudoRandom(count: 64))
            for form in [Formats.canonical(file), file.uppercased(), Formats.canonical(file).uppercased()] {
                let node = expectOK(try await server.api.get(ws.context.node(form, "details")))["node"]
                #expect(node["id"].string == file, "input \(form) -> \(node["id"])")
            }
            let bytes = try await server.fx.read(ws.context, Formats.canonical(file))
            #expect(bytes.count == 64)
            let malformed = try await server.api.get(ws.context.node("not-an-id", "details"))
            #expect([400, 404].contains(malformed.status) && malformed.isFailureEnvelope, "\(malformed)")
        }
    }

    @Test func bulkDetails() async throws {
        try await withWorkspace { server, ws in
            let a = try await server.fx.uploadSingle(ws.context, name: "a.txt", data: Data(text: "a"))
            let b = try await server.fx.createFolder(ws.context, name: "b")
            let gone = try await vanishedNodeId(server.fx, ws.context)

            let both = try await server.api.get(ws.context.node("\(a),\(b)", "details"))
            let p = expectOK(both)
            #expect(p["format"].string == "multi", "\(both)")
            #expect(Set(p["nodes"].array?.ids ?? []) == [a, b], "\(both)")
            #expect(p["errors"].array?.isEmpty ?? true)

            let mixed = try await server.api.get(ws.context.node("\(a),\(gone)", "details"))
            let m = expectOK(mixed)
            #expect(m["nodes"].array?.ids == [a], "\(mixed)")
            let errors = m["errors"].array ?? []
            #expect(errors.count == 1 && errors.first?["node_id"].string == gone, "\(mixed)")
            #expect(errors.first?["code"].exists == true && errors.first?["message"].exists == true)

            let single = expectOK(try await server.api.get(ws.context.node("\(a),\(a)", "details")))
            #expect(single["format"].string == "multi" && single["nodes"].array?.count == 1, "\(single)")

            let gone2 = try await vanishedNodeId(server.fx, ws.context)
            let allMissing = try await server.api.get(ws.context.node("\(gone),\(gone2)", "details"))
            #expect(allMissing.status == 404, "\(allMissing)")
            #expect(allMissing.payload["format"].string == "multi", "404 must carry the multi body: \(allMissing)")
            #expect(allMissing.payload["errors"].array?.count == 2, "\(allMissing)")

            // 26 distinct ids (the server dedups repeated ids, so repeats would not count).
            var many = [a, b]
            for i in 0..<24 { many.append(try await server.fx.createFolder(ws.context, name: "many-\(i)")) }
            let tooMany = try await server.api.get(ws.context.node(many.joined(separator: ","), "details"))
            expectError(tooMany, status: 400, code: 115519)
        }
    }
}
