import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import FastIO

/// Values a broken or hostile server may send, where they enter the client: each becomes a clamp or a
/// per-entry error (logged), never a trap, and never fails more than the entry that carries it.
@Suite("Hostile server values", .serialized)
struct HostileValueTests {
    func json(_ text: String) -> JSONValue { JSONValue.parse(Data(text.utf8))! }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the bounds a server time is clamped to.
    let earliest = -62_135_596_800.0
    let latest = 253_402_300_799.0

    @Test func timesOutOfRangeClampToTheBounds() {
        #expect(APITimestamp.parse(.number("1e+300"))?.timeIntervalSince1970 == latest)
        #expect(APITimestamp.parse("99999999999999999999")?.timeIntervalSince1970 == latest)
        #expect(APITimestamp.parse(.number("-1e+300"))?.timeIntervalSince1970 == earliest)
        #expect(APITimestamp.parse(.number("9223372036854775806"))?.timeIntervalSince1970 == latest)
        // In range: unchanged.
        #expect(APITimestamp.parse(.number("1779132385"))?.timeIntervalSince1970 == 1_779_132_385)
        #expect(APITimestamp.parse("9999-12-31T23:59:59Z")?.timeIntervalSince1970 == latest)
    }

    @Test func aFileSizeThatIsNotABytecountRejectsTheEntry() {
        let negative = #"{"id":"2a","name":"n","type":"file","size":-5}"#
        let huge = #"{"id":"2b","name":"h","type":"file","size":"99999999999999999999"}"#
        let fraction = #"{"id":"2c","name":"f","type":"note","size":1.5}"#
        #expect(RemoteNode(json: json(negative)) == nil)
        #expect(RemoteNode(json: json(huge)) == nil)
        #expect(RemoteNode(json: json(fraction)) == nil)
        // At the top of the range a size is still a size.
        #expect(RemoteNode(json: json(#"{"id":"2d","name":"m","type":"file","size":9223372036854775807}"#))?.size == .max)
        // Folders and links carry no size the mount uses: a broken one is dropped, the entry kept.
        let folder = RemoteNode(json: json(#"{"id":"2e","name":"d","type":"folder","size":-5}"#))
        #expect(folder?.size == 0)
    }

    @Test func aTimeOutOfRangeKeepsTheEntryClamped() throws {
        let node = try #require(RemoteNode(json: json(#"{"id":"2a","name":"t","type":"file","size":1,"modified":1e300,"created":"99999999999999999999"}"#)))
        #expect(node.modified?.timeIntervalSince1970 == latest)
        #expect(node.created?.timeIntervalSince1970 == latest)
    }

    @Test func oneBadEntrySkipsOnlyItselfAndIsLogged() throws {
        let body = #"{"result":true,"nodes":{"items":["#
            + #"{"id":"2good","name":"good","type":"file","size":3},"#
            + #"{"id":"2bad","name":"bad","type":"file","size":-1},"#
            + #"{"id":"2late","name":"late","type":"file","size":4,"modified":1e300}"#
            + #"]},"pagination":{"has_more":false,"next_cursor":null}}"#
        let server = try TestHTTPServer { _ in .json(body) }
        defer { server.stop() }
        let log = CapturedLog()
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: log.logger())
        let page = try client.listFolder(StorageProfile(kind: .workspace, id: "3117763504443666597"),
                                         folderID: "root", pageSize: 500, cursor: nil)
        #expect(page.items.map(\.name) == ["good", "late"])
        #expect(page.items.last?.modified?.timeIntervalSince1970 == latest)
        #expect(log.all.contains { $0.hasPrefix("warning") && $0.contains("2bad") && $0.contains("size") })
        #expect(log.all.contains { $0.hasPrefix("warning") && $0.contains("2late") && $0.contains("modified") })
    }

    @Test func rateLimitHeadersOutOfRangeReadAsAbsent() {
        let limits = RateLimitHeaders(headers: ["x-ve-limit-avail": "NaN", "x-ve-limit-max": "1e300",
                                                "x-ve-limit-expires": "inf", "retry-after": "-nan"])
        #expect(limits.available == nil)
        #expect(limits.maximum == nil)
        #expect(limits.secondsUntilReset(now: 1_700_000_000) == nil)
        let huge = RateLimitHeaders(headers: ["x-ve-limit-avail": "99999999999999999999999", "x-ve-limit-max": "-3"])
        #expect(huge.available == nil && huge.maximum == nil)
        #expect(RateLimitHeaders(headers: ["x-ve-limit-avail": "7.0"]).available == 7)
    }

    @Test func a429WithBrokenHeadersIsWaitedOutNotATrap() throws {
        let calls = Atomic<Int>(0)
        let server = try TestHTTPServer { _ in
            if calls.add(1, ordering: .relaxed).newValue == 1 {
                return .json(#"{"result":false,"error":{"code":1671,"text":"calm"}}"#, status: 429,
                             headers: ["x-ve-limit-avail": "NaN", "x-ve-limit-max": "1e999", "x-ve-limit-expires": "nan"])
            }
            return .json(#"{"result":true,"id":"2947763503651577469"}"#)
        }
        defer { server.stop() }
        var policy = RetryPolicy()
        policy.defaultRateLimitWait = 0.05
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: policy))
        #expect(try client.authCheck() == "2947763503651577469")
    }

    @Test func aReadAtTheLastOffsetsNeverOverflowsTheRange() throws {
        let content = patternBytes(1000)
        let server = try TestHTTPServer { rangeReply($0, content: content) }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        let profile = StorageProfile(kind: .share, id: "1234567890123456789")
        var buffer = [UInt8](repeating: 0, count: 4096)
        for offset in [Int64.max - 1, Int64.max - 4095, Int64.max] {
            let got = try buffer.withUnsafeMutableBytes {
                try client.read(profile, nodeID: "2abc", versionID: nil, offset: offset, into: $0)
            }
            #expect(got == 0)
        }
        // Never a range past Int64.max.
        #expect(server.requests.allSatisfy { $0.headers["range"]?.hasSuffix("-9223372036854775806") ?? true })
    }

    @Test func discoveryPagesThatRepeatEndInEIO() throws {
        let page = #"{"result":true,"workspaces":[{"id":"1","folder_name":"w1"},{"id":"2","folder_name":"w2"}],"#
            + #""pagination":{"total":9999,"limit":2,"offset":0,"has_more":true}}"#
        let server = try TestHTTPServer { _ in .json(page) }
        defer { server.stop() }
        var configuration = fastTestConfiguration()
        configuration.discoveryPageSize = 2
        let log = CapturedLog()
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: log.logger(), configuration: configuration)
        #expect { try client.listWorkspaces() } throws: { ($0 as? FastIOError)?.errno == EIO }
        #expect(client.requestCounts()["GET workspaces/all"] == 2)
        #expect(log.all.contains { $0.hasPrefix("warning") && $0.contains("workspaces/all") })
    }
}
