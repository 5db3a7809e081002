import EmulatorHarness
import Foundation
import Testing

/// Every upload flow of facts.md §4: single-call, chunked (parallel, ordering rules, sums), stream,
/// addfile, hashes, session management.
@Suite struct UploadTests {
    static let mib = 1_048_576

    @Test func limits() async throws {
        try await withServer { server in
            let r = try await server.api.get("upload/limits/")
            #expect(r.isSuccess, "\(r)")
            let limits = r.json?["limits"] ?? .missing
            #expect(limits["single_call_max"].int == 4_194_304, "\(r)")
            #expect(limits["min_chunk_size"].int == Self.mib, "\(r)")
            #expect(limits["max_parallel_chunks"].int == 3, "\(r)")
            for key in ["chunk_size", "max_chunk_size", "max_file_size", "max_sessions"] {
                #expect(limits[key].int != nil, "limits.\(key): \(r)")
            }
        }
    }

    @Test func singleCallCreateAutoPlaces() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: 100_000, seed: 3)
            let r = try await server.fx.uploadSingleResponse(ws.context, name: "single.bin", data: content)
            let json = try need(r.json, "json")
            #expect(r.isSuccess, "\(r)")
            let newId = try need(json["new_file_id"].string, "top-level new_file_id: \(r)")
            #expect(json["id"].string != nil, "top-level id: \(r)")
            #expect(Formats.isOpaqueId(newId, type: "2"))
            #expect(Formats.isOpaqueId(json["id"].string, type: "5"), "upload id \(json["id"])")
            let node = try await server.fx.details(ws.context, newId)
            #expect(node["size"].int == content.count && node["hash"].string == SHA256.hex(of: content))
            #expect(try await server.fx.read(ws.context, newId) == content)
            let session = expectOK(try await server.fx.uploadDetails(try need(json["id"].string, "id")))["session"]
            #expect(session["status"].string == "stored", "\(session)")
            #expect(Formats.sameId(session["new_file_id"].string, newId))
            let origin = node["origin"]["upload_session_id"].string
            #expect(origin == Formats.canonical(json["id"].string ?? ""),
                    "origin.upload_session_id is the un-hyphenated upload id: \(node["origin"])")

            // A second file of the same name in the same folder is refused and nothing is stored.
            let dup = try await server.fx.uploadSingleResponse(ws.context, name: "single.bin", data: Data(text: "dup"))
            expectError(dup, status: 400, code: 1605)
            let names = try await server.fx.listAll(ws.context).names
            #expect(names == ["single.bin"], "\(names)")
            #expect(try await server.fx.read(ws.context, newId) == content)
        }
    }

    @Test func chunkedUploadOfSeveralChunksInParallelReadsBackIdentical() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: 5 * Self.mib + 12_345, seed: 11)
            let session = try await server.fx.uploadChunked(ws.context, name: "large.bin", data: content,
                                                            chunkSize: Self.mib, parallel: 3)
            #expect(session["status"].string == "stored", "\(session)")
            let chunks = session["chunks"].object ?? [:]
            #expect(chunks.count == 6, "session.chunks: \(session["chunks"])")
            #expect(chunks["1"]?.int == Self.mib && chunks["6"]?.int == 12_345, "\(session["chunks"])")
            #expect(session["size"].int == content.count)
            let node = try need(session["new_file_id"].string, "new_file_id")
            let back = try await server.fx.read(ws.context, node)
            #expect(back.count == content.count)
            #expect(SHA256.hex(of: back) == SHA256.hex(of: content))
            let details = try await server.fx.details(ws.context, node)
            #expect(details["hash"].string == SHA256.hex(of: content))
        }
    }

    @Test func moreThanThreeChunksInFlightAreQueuedOrRefusedWith429() async throws {
        try await withWorkspace { server, ws in
            let chunk = 1_048_576
            let content = Data.pseudoRandom(count: 6 * chunk, seed: 17)
            let id = try await server.fx.createUploadSession(ws.context, name: "six.bin", size: content.count)
            let fx = server.fx
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for order in 1...6 {
                    let part = content.subdata(in: (order - 1) * chunk..<order * chunk)
                    group.addTask { (order, try await fx.sendChunk(id, order: order, data: part).status) }
                }
                var result: [Int: Int] = [:]
                for try await (order, status) in group { result[order] = status }
                return result
            }
            for (order, status) in statuses.sorted(by: { $0.key < $1.key }) {
                #expect(status == 200 || status == 429, "chunk \(order): HTTP \(status)")
                if status == 429 {
                    let part = content.subdata(in: (order - 1) * chunk..<order * chunk)
                    expectOK(try await fx.sendChunk(id, order: order, data: part))
                }
            }
            expectOK(try await fx.complete(id))
            let done = try await fx.waitForUpload(id, until: ["stored"])
            let node = try need(done["new_file_id"].string, "new_file_id: \(done)")
            #expect(SHA256.hex(of: try await fx.read(ws.context, node)) == SHA256.hex(of: content))
        }
    }

    @Test func chunkOrderRules() async throws {
        try await withWorkspace { server, ws in
            let id = try await server.fx.createUploadSession(ws.context, name: "o.bin", size: 2 * Self.mib)
            let ready = expectOK(try await server.fx.uploadDetails(id))["session"]
            #expect(ready["status"].string == "ready", "\(ready)")
            #expect(ready["name"].string == "o.bin" && ready["size"].int == 2 * Self.mib)

            let chunk = Data.pseudoRandom(count: Self.mib, seed: 5)
            expectError(try await server.fx.sendChunk(id, order: 0, data: chunk), status: 400)
            let noOrder = try await server.api.postMultipart("upload/\(id)/chunk/",
                                                             file: MultipartFile(fileName: "chunk.bin", data: chunk))
            expectError(noOrder, status: 400)
            // order as a multipart field (docs form) instead of the query (CLI form).
            let fieldOrder = try await server.api.postMultipart("upload/\(id)/chunk/", fields: [("order", "1")],
                                                                file: MultipartFile(fileName: "chunk.bin", data: chunk))
            expectOK(fieldOrder)
            let map = try await server.api.get("upload/\(id)/chunk/")
            #expect(map.isSuccess, "\(map)")
            #expect(map.text.contains("\"1\""), "chunk map must list chunk 1: \(map)")
            let uploading = expectOK(try await server.fx.uploadDetails(id))["session"]
            #expect(uploading["status"].string == "uploading", "\(uploading)")
            #expect(uploading["chunks"]["1"].int == Self.mib, "\(uploading)")

            // Re-sending an order replaces it; deleting one removes it from the map.
            expectOK(try await server.fx.sendChunk(id, order: 2, data: Data.pseudoRandom(count: Self.mib, seed: 6)))
            expectOK(try await server.api.delete("upload/\(id)/chunk/", query: ["order": "2"]))
            let afterDelete = expectOK(try await server.fx.uploadDetails(id))["session"]
            #expect(!afterDelete["chunks"]["2"].exists, "chunk 2 deleted: \(afterDelete)")
            let second = Data.pseudoRandom(count: Self.mib, seed: 8)
            expectOK(try await server.fx.sendChunk(id, order: 2, data: second))
            expectOK(try await server.fx.complete(id))
            let done = try await server.fx.waitForUpload(id, until: ["stored"])
            let node = try need(done["new_file_id"].string, "new_file_id: \(done)")
            #expect(try await server.fx.read(ws.context, node) == chunk + second)
        }
    }

    @Test func chunksResentAfterArrivingInOrderEndWithTheResentBytes() async throws {
        // The emulator appends chunks as they arrive; a chunk stored again afterwards (another body
        // at the same order) must win, and out-of-order arrival must not change the result.
        try await withWorkspace { server, ws in
            let parts = (1...4).map { Data.pseudoRandom(count: Self.mib, seed: UInt64(40 + $0)) }
            let id = try await server.fx.createUploadSession(ws.context, name: "re.bin", size: 4 * Self.mib)
            for order in [2, 1, 4, 3] { expectOK(try await server.fx.sendChunk(id, order: order, data: parts[order - 1])) }
            let replacement = Data.pseudoRandom(count: Self.mib, seed: 99)
            try await Task.sleep(for: .milliseconds(200))   // let the appends run first
            expectOK(try await server.fx.sendChunk(id, order: 2, data: replacement))
            expectOK(try await server.fx.complete(id))
            let done = try await server.fx.waitForUpload(id, until: ["stored"])
            let node = try need(done["new_file_id"].string, "new_file_id: \(done)")
            let expected = parts[0] + replacement + parts[2] + parts[3]
            #expect(try await server.fx.read(ws.context, node) == expected)
            let details = try await server.fx.details(ws.context, node)
            #expect(details["hash"].string == SHA256.hex(of: expected))
        }
    }

    @Test func chunksThatDoNotAddUpAreRejectedAtComplete() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: 2 * Self.mib + Self.mib / 2, seed: 9)
            let id = try await server.fx.createUploadSession(ws.context, name: "sum.bin", size: content.count)
            expectOK(try await server.fx.sendChunk(id, order: 1, data: content.subdata(in: 0..<Self.mib)))
            expectOK(try await server.fx.sendChunk(id, order: 2, data: content.subdata(in: Self.mib..<2 * Self.mib)))
            expectError(try await server.fx.complete(id), status: 400, code: 1605)
            let still = expectOK(try await server.fx.uploadDetails(id))["session"]
            #expect(still["status"].string == "uploading", "session must stay uploading: \(still)")
            expectOK(try await server.fx.sendChunk(id, order: 3, data: content.subdata(in: 2 * Self.mib..<content.count)))
            expectOK(try await server.fx.complete(id))
            let done = try await server.fx.waitForUpload(id, until: ["stored"])
            #expect(done["status"].string == "stored", "\(done)")
            let node = try need(done["new_file_id"].string, "new_file_id")
            #expect(try await server.fx.read(ws.context, node) == content)
        }
    }

    @Test func shortMiddleChunkIsRejected() async throws {
        try await withWorkspace { server, ws in
            // 1 MiB, 0.5 MiB (short, not last), 1 MiB, 0.5 MiB: sums to the declared 3 MiB.
            let sizes = [Self.mib, Self.mib / 2, Self.mib, Self.mib / 2]
            let id = try await server.fx.createUploadSession(ws.context, name: "short.bin", size: 3 * Self.mib)
            var rejected = false
            for (index, size) in sizes.enumerated() {
                let r = try await server.fx.sendChunk(id, order: index + 1, data: .pseudoRandom(count: size))
                if !r.isSuccess {
                    expectError(r, status: 400)
                    rejected = true
                }
            }
            let complete = try await server.fx.complete(id)
            if complete.isSuccess {
                let session = try await server.fx.waitForUpload(id, until: ["stored"], timeout: 20)
                #expect(session["status"].string != "stored", "a short middle chunk must not be accepted: \(session)")
                rejected = true
            } else {
                expectError(complete, status: 400)
                rejected = true
            }
            #expect(rejected)
            #expect(!(try await server.fx.listAll(ws.context).names.contains("short.bin")))
        }
    }

    @Test func uploadWithoutInstanceStopsAtCompleteThenAddfile() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: Self.mib + 10, seed: 12)
            let session = try await server.fx.uploadChunked(nil, name: "loose.bin", data: content, chunkSize: Self.mib)
            #expect(session["status"].string == "complete", "\(session)")
            let uploadId = try need(session["id"].string, "session.id")
            let again = expectOK(try await server.fx.uploadDetails(uploadId, wait: 1))["session"]
            #expect(again["status"].string == "complete", "no instance_id -> complete is terminal: \(again)")

            let folder = try await server.fx.createFolder(ws.context, name: "target")
            let from = #"{"type":"upload","upload":{"id":"\#(uploadId)"}}"#
            let added = expectOK(try await server.api.post(ws.context.node(folder, "addfile"),
                                                           form: ["name": "placed.bin", "from": from]))
            let node = try need(added["node"]["id"].string, "node: \(added)")
            #expect(added["node"]["name"].string == "placed.bin" && added["node"]["size"].int == content.count)
            #expect(try await server.fx.read(ws.context, node) == content)
            let dup = try await server.api.post(ws.context.node(folder, "addfile"),
                                                form: ["name": "placed.bin", "from": from])
            expectError(dup, status: 400, code: 1605)

            // Share-doc `from` shape is accepted too.
            let second = try await server.fx.uploadChunked(nil, name: "loose2.bin", data: Data(text: "two"),
                                                           chunkSize: Self.mib)
            let secondId = try need(second["id"].string, "id")
            let shareShape = #"{"from_type":"upload","upload":{"upload_id":"\#(secondId)"}}"#
            let added2 = expectOK(try await server.api.post(ws.context.node("root", "addfile"),
                                                            form: ["name": "two.txt", "from": shareShape]))
            #expect(added2["node"]["size"].int == 3, "\(added2)")

            // An upload that is not complete cannot be added.
            let pending = try await server.fx.createUploadSession(nil, name: "pending.bin", size: 10)
            let notReady = try await server.api.post(ws.context.node("root", "addfile"), form: [
                "name": "pending.bin", "from": #"{"type":"upload","upload":{"id":"\#(pending)"}}"#,
            ])
            expectError(notReady, status: 400, code: 1605)
        }
    }

    @Test func streamUpload() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: 2 * Self.mib + 77, seed: 13)
            let created = try await server.api.post("upload/", form: [
                "name": "stream.bin", "stream": "true", "action": "create", "instance_id": ws.id,
                "folder_id": "root", "profile_type": "workspace",
            ])
            let id = try need(created.payload["id"].string, "stream session id: \(created)")
            let sent = try await server.api.postRaw("upload/\(id)/stream/", body: content)
            #expect(sent.isSuccess && (200..<300).contains(sent.status), "\(sent)")
            let session = try await server.fx.waitForUpload(id, until: ["stored"])
            #expect(session["status"].string == "stored", "\(session)")
            let node = try need(session["new_file_id"].string, "new_file_id")
            #expect(try await server.fx.read(ws.context, node) == content)
        }
    }

    @Test func clientHashIsVerified() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: Self.mib + 500, seed: 21)
            let good = try await server.fx.createUploadSession(ws.context, name: "good.bin", size: content.count,
                                                               extra: ["hash": SHA256.hex(of: content),
                                                                       "hash_algo": "sha256"])
            expectOK(try await server.fx.sendChunk(good, order: 1, data: content.subdata(in: 0..<Self.mib)))
            expectOK(try await server.fx.sendChunk(good, order: 2, data: content.subdata(in: Self.mib..<content.count)))
            expectOK(try await server.fx.complete(good))
            #expect(try await server.fx.waitForUpload(good, until: ["stored"])["status"].string == "stored")

            let wrong = String(repeating: "0", count: 64)
            let bad = try await server.fx.createUploadSession(ws.context, name: "bad.bin", size: content.count,
                                                              extra: ["hash": wrong, "hash_algo": "sha256"])
            for (order, range) in [(1, 0..<Self.mib), (2, Self.mib..<content.count)] {
                let r = try await server.fx.sendChunk(bad, order: order, data: content.subdata(in: range))
                if !r.isSuccess { expectError(r, status: 406, code: 10778) }
            }
            let complete = try await server.fx.complete(bad)
            if !complete.isSuccess { expectError(complete, status: 406, code: 10778) }
            let session = try await server.fx.waitForUpload(bad, until: ["assembly_failed"], timeout: 20)
            #expect(session["status"].string == "assembly_failed", "\(session)")
            #expect(session["status_message"].string?.isEmpty == false, "\(session)")
            #expect(!(try await server.fx.listAll(ws.context).names.contains("bad.bin")))

            let single = try await server.fx.uploadSingleResponse(ws.context, name: "bad-single.bin",
                                                                  data: Data(text: "abc"),
                                                                  extraFields: [("hash", wrong), ("hash_algo", "sha256")])
            expectError(single, status: 406, code: 10778)
            #expect(!(try await server.fx.listAll(ws.context).names.contains("bad-single.bin")))
        }
    }

    @Test func sessionManagement() async throws {
        try await withWorkspace { server, ws in
            let id = try await server.fx.createUploadSession(ws.context, name: "s.bin", size: 100)
            let list = try await server.api.get("upload/details/")
            #expect(list.isSuccess && list.text.contains(Formats.canonical(id).prefix(5)), "\(list)")
            let foreign = try await server.otherAPI.get("upload/\(id)/details/")
            #expect(!foreign.isSuccess && (400..<500).contains(foreign.status), "sessions belong to their user: \(foreign)")
            expectOK(try await server.api.delete("upload/\(id)/"))
            let gone = try await server.fx.uploadDetails(id)
            expectError(gone, status: 404)
            let a = try await server.fx.createUploadSession(ws.context, name: "a.bin", size: 1)
            expectOK(try await server.api.delete("upload/"))
            expectError(try await server.fx.uploadDetails(a), status: 404)
        }
    }

    @Test func detailsWaitReturnsEarlyOnStatusChange() async throws {
        try await withWorkspace { server, ws in
            let content = Data(text: "wait for me")
            let id = try await server.fx.createUploadSession(ws.context, name: "w.txt", size: content.count)
            expectOK(try await server.fx.sendChunk(id, order: 1, data: content))
            let fx = server.fx
            async let completion: APIResponse = {
                try await Task.sleep(nanoseconds: 500_000_000)
                return try await fx.complete(id)
            }()
            let (r, elapsed) = try await timed { try await server.fx.uploadDetails(id, wait: 20) }
            #expect(r.isSuccess)
            #expect(elapsed < 10, "details?wait must return on a status change (took \(elapsed) s)")
            #expect(r.payload["session"]["status"].string != "uploading", "\(r)")
            expectOK(try await completion)
        }
    }
}
