import EmulatorHarness
import Foundation
import Testing

/// createfolder, rename, move, copy, delete/trash/restore/purge, and the name-uniqueness choices.
@Suite struct MutationTests {
    @Test func createFolderNameRules() async throws {
        try await withWorkspace { server, ws in
            let first = try await server.fx.createFolder(ws.context, name: "Docs")
            let again = try await server.fx.createFolder(ws.context, name: "Docs")
            #expect(first == again, "createfolder is idempotent by name")
            let forced = expectOK(try await server.api.post(ws.context.node("root", "createfolder"),
                                                            form: ["name": "Docs", "force": "true"]))
            #expect(forced["node"]["id"].string != first)
            #expect(forced["node"]["name"].string == "Docs (1)", "\(forced)")
            let caseVariant = try await server.fx.createFolder(ws.context, name: "docs")
            #expect(caseVariant != first, "names compare case-sensitively")

            _ = try await server.fx.uploadSingle(ws.context, name: "taken", data: Data(text: "f"))
            expectError(try await server.api.post(ws.context.node("root", "createfolder"), form: ["name": "taken"]),
                        status: 400, code: 1605)
            // The filename rules of facts.md: length in characters, reserved names, forbidden characters.
            let refused = ["", ".", "..", String(repeating: "n", count: 256), String(repeating: "é", count: 256),
                           "nul\u{0}x", "cr\rx", "lf\nx", "tab\tx", "del\u{7F}x", "c1\u{85}x", "a/b", "a\\b",
                           "space ", "tab\t", "dot.", "rlo\u{202E}x", "zw\u{200B}x", "bom\u{FEFF}x"]
            for bad in refused {
                let r = try await server.api.post(ws.context.node("root", "createfolder"), form: ["name": bad])
                expectError(r, status: 400, code: 1605)
            }
            for good in [String(repeating: "n", count: 255), String(repeating: "é", count: 255), ".hidden", "a b.c",
                         "ünïcödé", "x／y"] {
                expectOK(try await server.api.post(ws.context.node("root", "createfolder"), form: ["name": good]))
            }
            let file = try await server.fx.uploadSingle(ws.context, name: "plain.txt", data: Data(text: "x"))
            expectError(try await server.api.post(ws.context.node(file, "createfolder"), form: ["name": "in-file"]),
                        status: 400, code: 1605)
            let gone = try await vanishedNodeId(server.fx, ws.context)
            expectError(try await server.api.post(ws.context.node(gone, "createfolder"), form: ["name": "x"]),
                        status: 404, code: 1609)
        }
    }

    @Test func renameAndItsConflicts() async throws {
        try await withWorkspace { server, ws in
            let a = try await server.fx.uploadSingle(ws.context, name: "a.txt", data: Data(text: "a"))
            _ = try await server.fx.uploadSingle(ws.context, name: "b.txt", data: Data(text: "b"))
            let before = try await server.fx.details(ws.context, a)
            let renamed = expectOK(try await server.api.post(ws.context.node(a, "update"), form: ["name": "c.txt"]))
            #expect(renamed["node"]["name"].string == "c.txt", "\(renamed)")
            #expect(renamed["node"]["id"].string == a)
            #expect(renamed["node"]["version"].string == before["version"].string, "rename is not a content change")
            expectError(try await server.api.post(ws.context.node(a, "update"), form: ["name": "b.txt"]),
                        status: 400, code: 1605)
            expectError(try await server.api.post(ws.context.node(a, "update"), form: ["name": "x/y"]),
                        status: 400, code: 1605)
            _ = expectOK(try await server.api.post(ws.context.node(a, "update"), form: ["name": "c.txt"]))
            #expect(try await server.fx.listAll(ws.context).names.sorted() == ["b.txt", "c.txt"])
            let gone = try await vanishedNodeId(server.fx, ws.context)
            expectError(try await server.api.post(ws.context.node(gone, "update"), form: ["name": "z"]), status: 404)
        }
    }

    @Test func moveRules() async throws {
        try await withWorkspace { server, ws in
            let outer = try await server.fx.createFolder(ws.context, name: "outer")
            let inner = try await server.fx.createFolder(ws.context, parent: outer, name: "inner")
            let file = try await server.fx.uploadSingle(ws.context, name: "f.txt", data: Data(text: "f"))
            expectOK(try await server.api.post(ws.context.node(file, "move"), form: ["parent": inner]))
            #expect(try await server.fx.listAll(ws.context, inner).ids == [file])
            #expect(Formats.sameId(try await server.fx.details(ws.context, file)["parent"].string, inner))
            expectOK(try await server.api.post(ws.context.node(file, "move"), form: ["parent": "root"]))
            #expect(try await server.fx.details(ws.context, file)["parent"].string == "root")

            expectError(try await server.api.post(ws.context.node(outer, "move"), form: ["parent": outer]),
                        status: 400, code: 1605)
            expectError(try await server.api.post(ws.context.node(outer, "move"), form: ["parent": inner]),
                        status: 400, code: 1605)
            _ = try await server.fx.uploadSingle(ws.context, parent: inner, name: "f.txt", data: Data(text: "other"))
            expectError(try await server.api.post(ws.context.node(file, "move"), form: ["parent": inner]),
                        status: 400, code: 1605)
            let gone = try await vanishedNodeId(server.fx, ws.context)
            expectError(try await server.api.post(ws.context.node(file, "move"), form: ["parent": gone]), status: 404)
            expectError(try await server.api.post(ws.context.node(gone, "move"), form: ["parent": "root"]), status: 404)
        }
    }

    @Test func copyIsRecursiveWithNewIds() async throws {
        try await withWorkspace { server, ws in
            let a = try await server.fx.createFolder(ws.context, name: "A")
            let f = try await server.fx.uploadSingle(ws.context, parent: a, name: "f.txt", data: Data(text: "eff"))
            let b = try await server.fx.createFolder(ws.context, parent: a, name: "B")
            let g = try await server.fx.uploadSingle(ws.context, parent: b, name: "g.bin", data: .pseudoRandom(count: 3000))
            let dest = try await server.fx.createFolder(ws.context, name: "Dest")

            let copied = expectOK(try await server.api.post(ws.context.node(a, "copy"), form: ["parent": dest]))
            #expect(copied["job"].isNull, "job: null expected: \(copied)")
            let copyA = try need(copied["node"]["id"].string, "node.id: \(copied)")
            #expect(copyA != a && copied["node"]["name"].string == "A")
            let children = try await server.fx.listAll(ws.context, copyA)
            #expect(children.names.sorted() == ["B", "f.txt"])
            let copyF = try need(children.named("f.txt")?["id"].string, "f copy")
            let copyB = try need(children.named("B")?["id"].string, "B copy")
            #expect(copyF != f && copyB != b)
            #expect(try await server.fx.read(ws.context, copyF) == Data(text: "eff"))
            let grand = try await server.fx.listAll(ws.context, copyB)
            let copyG = try need(grand.named("g.bin")?["id"].string, "g copy")
            #expect(copyG != g)
            #expect(try await server.fx.read(ws.context, copyG) == .pseudoRandom(count: 3000))
            // Original is untouched; copying into the same parent clashes by name.
            #expect(try await server.fx.listAll(ws.context, a).count == 2)
            expectError(try await server.api.post(ws.context.node(f, "copy"), form: ["parent": a]), status: 400, code: 1605)
        }
    }

    @Test func trashRestorePurge() async throws {
        try await withWorkspace { server, ws in
            let folder = try await server.fx.createFolder(ws.context, name: "dir")
            let child = try await server.fx.uploadSingle(ws.context, parent: folder, name: "child.txt", data: Data(text: "c"))
            let file = try await server.fx.uploadSingle(ws.context, name: "top.txt", data: Data(text: "t"))

            let deleted = expectOK(try await server.api.delete(ws.context.node(folder, "delete")))
            #expect(deleted["job"].isNull || !deleted["job"].exists)
            #expect(try await server.fx.listAll(ws.context).names == ["top.txt"])
            let trash = try await server.fx.listAll(ws.context, "trash")
            #expect(trash.ids == [folder], "trash lists the trashed top-level item: \(trash.names)")
            expectError(try await server.api.get(ws.context.node(child, "read")), status: 404)
            expectError(try await server.api.delete(ws.context.node(folder, "delete")), status: 404)

            // The name is free while trashed; restoring into the clash fails.
            let clash = try await server.fx.createFolder(ws.context, name: "dir")
            expectError(try await server.api.post(ws.context.node(folder, "restore")), status: 400, code: 1605)
            expectOK(try await server.api.delete(ws.context.node(clash, "delete")))
            expectOK(try await server.api.delete(ws.context.node(clash, "purge")))
            expectOK(try await server.api.post(ws.context.node(folder, "restore")))
            #expect(try await server.fx.listAll(ws.context).names.sorted() == ["dir", "top.txt"])
            #expect(try await server.fx.read(ws.context, child) == Data(text: "c"), "children come back")
            expectError(try await server.api.post(ws.context.node(folder, "restore")), status: 400, code: 1605)

            expectError(try await server.api.delete(ws.context.node(file, "purge")), status: 400, code: 1605)
            expectOK(try await server.api.delete(ws.context.node(file, "delete")))
            expectOK(try await server.api.delete(ws.context.node(file, "purge")))
            expectError(try await server.api.get(ws.context.node(file, "details")), status: 404)
            #expect(try await server.fx.listAll(ws.context, "trash").isEmpty)

            expectOK(try await server.api.delete(ws.context.node(folder, "delete")))
            expectOK(try await server.api.delete(ws.context.node("trash", "delete")))
            #expect(try await server.fx.listAll(ws.context, "trash").isEmpty, "trash/delete empties the trash")
            expectError(try await server.api.post(ws.context.node(folder, "restore")), status: 404)
        }
    }

    @Test func updateFromUploadMakesVersionsAndRestoreVersion() async throws {
        try await withWorkspace { server, ws in
            let v1 = Data(text: "version one")
            let v2 = Data.pseudoRandom(count: 5000, seed: 2)
            let file = try await server.fx.uploadSingle(ws.context, name: "doc.txt", data: v1)
            let first = try await server.fx.details(ws.context, file)
            let firstVersion = try need(first["version"].string, "version")

            let upload = try await server.fx.uploadChunked(nil, name: "doc.txt", data: v2, chunkSize: 1_048_576)
            let uploadId = try need(upload["id"].string, "upload id")
            let updated = expectOK(try await server.api.post(ws.context.node(file, "update"), form: [
                "from": #"{"type":"upload","upload":{"id":"\#(uploadId)"}}"#,
            ]))
            let secondVersion = try need(updated["node"]["version"].string, "version after update: \(updated)")
            #expect(updated["node"]["id"].string == file)
            #expect(secondVersion != firstVersion)
            #expect(Formats.isOpaqueId(secondVersion, type: "3"))
            #expect(updated["node"]["size"].int == v2.count)
            #expect(try await server.fx.read(ws.context, file) == v2)

            let versions = expectOK(try await server.api.get(ws.context.node(file, "versions")))["versions"].array ?? []
            #expect(versions.count == 2, "\(versions)")
            #expect(versions.first?["id"].string == secondVersion, "newest first")
            #expect(versions.map { $0["operation"].string ?? "" } == ["update", "create"])
            #expect(versions.map { $0["version_number"].int ?? 0 } == [2, 1])
            #expect(versions.map { $0["size"].int ?? 0 } == [v2.count, v1.count])
            #expect(versions.last?["hash"].string == SHA256.hex(of: v1))
            #expect(Formats.isServerTimestamp(versions.first?["created"].string))

            let old = try await server.api.get(ws.context.node(file, "read"), query: ["version_id": firstVersion])
            #expect(old.status == 200 && old.body == v1, "version_id read: \(old)")
            let oldRange = try await server.api.get(ws.context.node(file, "read"), query: ["version_id": firstVersion],
                                                    headers: ["Range": "bytes=0-6"])
            #expect(oldRange.status == 206 && oldRange.body == Data(text: "version"))

            let restored = expectOK(try await server.api.post(ws.context.node(file, "restore-version"),
                                                              form: ["version_id": firstVersion]))
            #expect(restored["new_version"]["operation"].string == "restore", "\(restored)")
            let thirdVersion = try need(restored["node"]["version"].string, "node.version: \(restored)")
            #expect(thirdVersion != secondVersion && thirdVersion != firstVersion)
            #expect(try await server.fx.read(ws.context, file) == v1)
            let after = expectOK(try await server.api.get(ws.context.node(file, "versions")))["versions"].array ?? []
            #expect(after.count == 3)

            // A version id of another file is refused.
            let otherFile = try await server.fx.uploadSingle(ws.context, name: "other.txt", data: Data(text: "o"))
            let foreign = try await server.api.post(ws.context.node(otherFile, "restore-version"),
                                                    form: ["version_id": firstVersion])
            #expect([400, 404].contains(foreign.status) && foreign.isFailureEnvelope, "\(foreign)")
            // update on a folder with `from` and an incomplete upload are refused.
            let pending = try await server.fx.createUploadSession(nil, name: "p", size: 5)
            let notComplete = try await server.api.post(ws.context.node(file, "update"), form: [
                "from": #"{"type":"upload","upload":{"id":"\#(pending)"}}"#,
            ])
            expectError(notComplete, status: 400, code: 1605)
        }
    }

    @Test func recentAndSearch() async throws {
        try await withWorkspace { server, ws in
            let folder = try await server.fx.createFolder(ws.context, name: "Quarterly")
            var ids: [String] = []
            for name in ["Q1 Report.pdf", "q2 report.txt", "notes.txt"] {
                ids.append(try await server.fx.uploadSingle(ws.context, parent: folder, name: name, data: Data(text: name)))
                try await Task.sleep(nanoseconds: 1_100_000_000)
            }
            let recent = expectOK(try await server.api.get("workspace/\(ws.id)/storage/recent/"))
            let items = recent["nodes"]["items"].array ?? []
            #expect(Set(items.ids) == Set(ids + [folder]), "recent lists the whole tree: \(items.names)")
            let modified = items.map { $0["modified"].string ?? "" }
            #expect(modified == modified.sorted(by: >), "recent is updated desc: \(modified)")
            #expect(recent["pagination"]["has_more"].bool == false)
            let recentFiles = expectOK(try await server.api.get("workspace/\(ws.id)/storage/recent/",
                                                                query: ["type": "file"]))
            #expect(recentFiles["nodes"]["items"].array?.ids == ids.reversed(),
                    "files newest first: \(recentFiles["nodes"]["items"].array?.names ?? [])")
            let folders = expectOK(try await server.api.get("workspace/\(ws.id)/storage/recent/",
                                                             query: ["type": "folder"]))
            #expect(folders["nodes"]["items"].array?.allSatisfy { $0["type"].string == "folder" } == true)
            #expect(folders["nodes"]["items"].array?.ids == [folder], "\(folders)")

            let search = expectOK(try await server.api.get("workspace/\(ws.id)/storage/search/",
                                                           query: ["search": "REPORT"]))
            let files = search["files"].object ?? [:]
            #expect(Set(files.keys.map(Formats.canonical)) == Set(ids.prefix(2).map(Formats.canonical)), "\(search)")
            let hit = files.values.first { $0["name"].string == "Q1 Report.pdf" }
            #expect(Formats.sameId(hit?["parent_id"].string, folder) && hit?["type"].string == "file", "\(search)")
            #expect(search["pagination"]["total"].int == 2, "\(search)")
            let none = expectOK(try await server.api.get("workspace/\(ws.id)/storage/search/", query: ["search": "zzzz"]))
            #expect((none["files"].object ?? [:]).isEmpty && (none["files"].array ?? []).isEmpty, "\(none)")
        }
    }
}
