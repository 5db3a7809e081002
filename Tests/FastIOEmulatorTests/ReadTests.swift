import EmulatorHarness
import Foundation
import Testing

/// `/read/`: full reads, byte ranges, 416, version_id, download tokens, HEAD, errors.
@Suite struct ReadTests {
    @Test func fullReadAndRanges() async throws {
        try await withWorkspace { server, ws in
            let content = Data.pseudoRandom(count: 10_000, seed: 7)
            let file = try await server.fx.uploadSingle(ws.context, name: "blob.bin", data: content)
            let path = ws.context.node(file, "read")

            let full = try await server.api.get(path)
            #expect(full.status == 200)
            #expect(full.body == content)
            #expect(full.header("content-length") == "10000")
            #expect(full.header("accept-ranges") == "bytes")
            #expect(full.header("content-type") != nil)
            #expect(full.header("content-disposition")?.contains("blob.bin") == true, "\(full.headers)")

            let cases: [(String, Range<Int>)] = [("bytes=100-199", 100..<200), ("bytes=9990-", 9990..<10_000),
                                                 ("bytes=-50", 9950..<10_000), ("bytes=0-0", 0..<1),
                                                 ("bytes=9000-20000", 9000..<10_000)]
            for (range, expected) in cases {
                let r = try await server.api.get(path, headers: ["Range": range])
                #expect(r.status == 206, "\(range): \(r.status)")
                #expect(r.body == content.subdata(in: expected), "\(range): wrong bytes (\(r.body.count))")
                #expect(r.header("content-range") == "bytes \(expected.lowerBound)-\(expected.upperBound - 1)/10000",
                        "\(range): \(r.header("content-range") ?? "nil")")
                #expect(r.header("content-length") == String(expected.count), "\(range)")
            }

            for range in ["bytes=10000-", "bytes=20000-20010"] {
                let r = try await server.api.get(path, headers: ["Range": range])
                #expect(r.status == 416, "\(range): \(r.status)")
                #expect(r.header("content-range") == "bytes */10000", "\(range): \(r.headers)")
            }

            let head = try await server.api.head(path)
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.header("content-length") == "10000")
        }
    }

    @Test func downloadTokenWorksWithoutBearer() async throws {
        try await withWorkspace { server, ws in
            let content = Data(text: "token read")
            let file = try await server.fx.uploadSingle(ws.context, name: "t.txt", data: content)
            let token = try need(expectOK(try await server.api.get(ws.context.node(file, "requestread")))["token"].string,
                                 "requestread token")
            let r = try await server.anonymous.get(ws.context.node(file, "read"), query: ["token": token])
            #expect(r.status == 200 && r.body == content, "\(r)")
            let ranged = try await server.anonymous.get(ws.context.node(file, "read"), query: ["token": token],
                                                        headers: ["Range": "bytes=0-4"])
            #expect(ranged.status == 206 && ranged.body == Data(text: "token"))
            expectError(try await server.anonymous.get(ws.context.node(file, "read"), query: ["token": token + "x"]),
                        status: 401, code: 1650)
            let other = try await server.fx.uploadSingle(ws.context, name: "u.txt", data: Data(text: "other"))
            let misuse = try await server.anonymous.get(ws.context.node(other, "read"), query: ["token": token])
            #expect(!(200..<300).contains(misuse.status), "a token for one node must not read another: \(misuse)")
        }
    }

    @Test func readErrors() async throws {
        try await withWorkspace { server, ws in
            let folder = try await server.fx.createFolder(ws.context, name: "dir")
            expectError(try await server.api.get(ws.context.node(folder, "read")), status: 400, code: 1605)
            let gone = try await vanishedNodeId(server.fx, ws.context)
            expectError(try await server.api.get(ws.context.node(gone, "read")), status: 404, code: 1609)
            let file = try await server.fx.uploadSingle(ws.context, name: "trashme.txt", data: Data(text: "x"))
            expectOK(try await server.api.delete(ws.context.node(file, "delete")))
            expectError(try await server.api.get(ws.context.node(file, "read")), status: 404)
        }
    }
}
