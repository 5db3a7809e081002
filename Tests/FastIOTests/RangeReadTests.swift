import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import FastIO

@Suite("Ranged reads against a local socket", .serialized)
struct RangeReadTests {
    let content = patternBytes(300_000)
    let profile = StorageProfile(kind: .share, id: "1234567890123456789")

    func read(_ client: FastIOClient, offset: Int64, count: Int, version: String? = nil) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0xEE, count: count)
        let got = try buffer.withUnsafeMutableBytes {
            try client.read(profile, nodeID: "2ABCD-efghi", versionID: version, offset: offset, into: $0)
        }
        #expect(buffer[got...].allSatisfy { $0 == 0xEE }, "bytes past the returned count must be untouched")
        return Array(buffer[..<got])
    }

    @Test func rangesAtEveryKindOfOffset() throws {
        let content = self.content
        let server = try TestHTTPServer { rangeReply($0, content: content) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        #expect(try read(client, offset: 0, count: 4096) == Array(content[0..<4096]))
        #expect(try read(client, offset: 12_345, count: 777) == Array(content[12_345..<13_122]))
        #expect(try read(client, offset: 299_990, count: 4096) == Array(content[299_990...]))   // short at EOF
        #expect(try read(client, offset: 300_000, count: 4096).isEmpty)                           // at EOF: 416
        #expect(try read(client, offset: 999_999, count: 10).isEmpty)                              // past EOF
        #expect(try read(client, offset: 0, count: 300_000) == content)
        #expect(try read(client, offset: 5, count: 0).isEmpty)
        #expect(server.requests.first?.target == "/current/share/1234567890123456789/storage/2abcdefghi/read/")
        #expect(server.requests.first?.headers["range"] == "bytes=0-4095")
        #expect(client.requestCounts() == ["GET storage/read": 6])
        #expect(server.acceptedConnections == 1)
    }

    @Test func versionPinningTravelsAsQuery() throws {
        let content = self.content
        let server = try TestHTTPServer { rangeReply($0, content: content) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        _ = try read(client, offset: 0, count: 10, version: "37DU7-l34yh")
        #expect(server.requests.first?.query["version_id"] == "37du7l34yh")
    }

    @Test func serverIgnoringRangeIsSkippedToTheOffset() throws {
        let content = self.content
        let server = try TestHTTPServer { rangeReply($0, content: content, ignoreRange: true) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        #expect(try read(client, offset: 0, count: 1000) == Array(content[0..<1000]))
        #expect(try read(client, offset: 250_000, count: 1000) == Array(content[250_000..<251_000]))
        #expect(try read(client, offset: 299_000, count: 5000) == Array(content[299_000...]))
        #expect(try read(client, offset: 400_000, count: 10).isEmpty)
    }

    @Test func brokenTransferResumesWhereItStopped() throws {
        let content = self.content
        let calls = Atomic<Int>(0)
        let server = try TestHTTPServer { request in
            guard calls.add(1, ordering: .relaxed).newValue == 1 else { return rangeReply(request, content: content) }
            return .truncated(status: 206, headers: ["Content-Range": "bytes 0-199999/300000"],
                              body: Array(content[0..<70_000]), declaredLength: 200_000)
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: RetryPolicy()))
        #expect(try read(client, offset: 0, count: 200_000) == Array(content[0..<200_000]))
        #expect(server.requests.last?.headers["range"] == "bytes=70000-199999")
    }

    @Test func shortPartialAnswerIsContinued() throws {
        let content = self.content
        let server = try TestHTTPServer { request in
            // A server that caps every answer at 50,000 bytes but says how big the file is.
            guard case .respond(_, _, let body) = rangeReply(request, content: content), let header = request.headers["range"] else {
                return rangeReply(request, content: content)
            }
            let start = Int(header.dropFirst(6).split(separator: "-")[0])!
            guard body.count > 50_000 else { return rangeReply(request, content: content) }
            return .respond(status: 206, headers: ["Content-Range": "bytes \(start)-\(start + 49_999)/\(content.count)"],
                            body: Array(body[..<50_000]))
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        #expect(try read(client, offset: 1000, count: 120_000) == Array(content[1000..<121_000]))
        #expect(client.requestCounts()["GET storage/read"] == 3)
    }

    @Test func errorsMapToErrnoAndNeverTouchTheBuffer() throws {
        let server = try TestHTTPServer { _ in .json(#"{"result":false,"error":{"code":1609,"text":"Not found"}}"#, status: 404) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        var buffer = [UInt8](repeating: 0xEE, count: 100)
        #expect { try buffer.withUnsafeMutableBytes { try client.read(profile, nodeID: "x", versionID: nil, offset: 0, into: $0) } }
            throws: { ($0 as? FastIOError)?.errno == ENOENT }
        #expect(buffer.allSatisfy { $0 == 0xEE })
        #expect(client.requestCounts()["GET storage/read"] == 1)
    }

    @Test func wrongContentRangeIsRejected() throws {
        let server = try TestHTTPServer { _ in .respond(status: 206, headers: ["Content-Range": "bytes 0-9/100"], body: Array(repeating: 1, count: 10)) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        #expect { try read(client, offset: 50, count: 10) } throws: { ($0 as? FastIOError)?.errno == EIO }
    }
}
