import Foundation
import Glibc
import Logging
import Testing
@testable import FastIO

/// Every answer's body has a total cap: an error body 64 KiB, a JSON body `maxResponseBytes`, a read
/// body the range asked for. Going past it aborts the transfer with an EIO that says why.
@Suite("Response body caps", .serialized)
struct ResponseBodyCapTests {
    let profile = StorageProfile(kind: .share, id: "1234567890123456789")

    /// A JSON error answer of `status`, padded to about `bytes` bytes.
    static func bigError(status: Int, bytes: Int) -> TestHTTPServer.Reply {
        let padding = String(repeating: "x", count: bytes)
        return .json(#"{"result":false,"error":{"code":1609,"text":"\#(padding)"}}"#, status: status)
    }

    static func isOversized(_ error: any Error) -> Bool {
        guard let error = error as? FastIOError else { return false }
        return error.errno == EIO && error.message.contains("64 KiB")
    }

    @Test func anErrorBodyOnAReadPast64KiBEndsInEIO() throws {
        let server = try TestHTTPServer { _ in Self.bigError(status: 404, bytes: 1 << 20) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        var buffer = [UInt8](repeating: 0xEE, count: 100)
        #expect { try buffer.withUnsafeMutableBytes { try client.read(profile, nodeID: "2x", versionID: nil, offset: 0, into: $0) } }
            throws: { Self.isOversized($0) }
        #expect(buffer.allSatisfy { $0 == 0xEE })
    }

    @Test func anErrorBodyOnAJSONCallPast64KiBEndsInEIO() throws {
        let server = try TestHTTPServer { _ in Self.bigError(status: 404, bytes: 1 << 20) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration())
        #expect { try client.nodeDetails(profile, nodeID: "2x") } throws: { Self.isOversized($0) }
    }

    @Test func anErrorBodyOnAnUploadPast64KiBEndsInEIO() throws {
        let path = NSTemporaryDirectory() + "fastio-body-cap-" + UUID().uuidString
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let server = try TestHTTPServer { _ in Self.bigError(status: 403, bytes: 1 << 20) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration())
        #expect { try client.uploadChunk(uploadID: "u1", order: 1, source: FileRange(path: path, length: 1000)) }
            throws: { Self.isOversized($0) }
    }

    @Test func anErrorBodyUnderTheCapStillMapsToItsErrno() throws {
        let server = try TestHTTPServer { _ in Self.bigError(status: 404, bytes: 60 << 10) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration())
        #expect { try client.nodeDetails(profile, nodeID: "2x") } throws: { ($0 as? FastIOError)?.errno == ENOENT }
    }

    @Test func aJSONBodyPastItsCapEndsInEIO() throws {
        let items = (0..<100).map { #"{"id":"2n\#($0)","name":"n\#($0)","type":"file","size":1}"# }
        let body = #"{"result":true,"nodes":{"items":[\#(items.joined(separator: ","))]}}"#
        let server = try TestHTTPServer { _ in .json(body) }
        defer { server.stop() }
        var configuration = fastTestConfiguration()
        configuration.maxResponseBytes = 1024
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: configuration)
        #expect { try client.listFolder(profile, folderID: "root", pageSize: 500, cursor: nil) }
            throws: { ($0 as? FastIOError)?.errno == EIO && ($0 as? FastIOError)?.kind == .invalidResponse }
    }

    @Test func aReadBodyLongerThanTheRangeFillsOnlyTheRange() throws {
        let content = patternBytes(100_000)
        // A 206 that sends the whole file whatever range was asked.
        let server = try TestHTTPServer { _ in
            .respond(status: 206, headers: ["Content-Range": "bytes 0-99999/100000"], body: content)
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        var buffer = [UInt8](repeating: 0xEE, count: 1000)
        let got = try buffer.withUnsafeMutableBytes { try client.read(profile, nodeID: "2x", versionID: nil, offset: 0, into: $0) }
        #expect(got == 1000)
        #expect(buffer == Array(content[0..<1000]))
    }
}
