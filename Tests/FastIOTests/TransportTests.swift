import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import FastIO

/// The libcurl transport against sockets these tests open themselves: bounded failures, keep-alive,
/// retries, 429 handling, envelope shapes over the wire, and token hygiene.
@Suite("Transport against a local socket", .serialized)
struct TransportTests {
    let okAuth = TestHTTPServer.Reply.json(#"{"result":true,"id":"2947763503651577469"}"#)

    @Test func serverThatNeverAnswersFailsWithinTheStallBound() throws {
        let server = try TestHTTPServer { _ in .silence }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration())
        let (result, seconds) = measure { Result { try client.authCheck() } }
        guard case .failure(let error as FastIOError) = result else { Issue.record("expected an error"); return }
        #expect(error.errno == ETIMEDOUT)
        #expect(seconds < 5)
    }

    @Test func connectionNeverAcceptedFailsWithinTheStallBound() throws {
        let server = try TestHTTPServer(acceptConnections: false) { _ in .silence }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration())
        let (result, seconds) = measure { Result { try client.authCheck() } }
        guard case .failure(let error as FastIOError) = result else { Issue.record("expected an error"); return }
        #expect(error.errno == ETIMEDOUT, "\(error)")
        #expect(seconds < 5)
    }

    @Test func stalledReadFailsWithinTheStallBound() throws {
        let server = try TestHTTPServer { _ in .silence }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration())
        var buffer = [UInt8](repeating: 0, count: 4096)
        let (result, seconds) = measure {
            Result { try buffer.withUnsafeMutableBytes {
                try client.read(StorageProfile(kind: .workspace, id: "1"), nodeID: "n", versionID: nil, offset: 0, into: $0)
            } }
        }
        guard case .failure(let error as FastIOError) = result else { Issue.record("expected an error"); return }
        #expect(error.errno == ETIMEDOUT)
        #expect(seconds < 5)
    }

    @Test func connectionRefusedFailsFast() throws {
        let server = try TestHTTPServer { _ in .silence }
        let url = server.baseURL
        server.stop()
        let client = FastIOClient(baseURL: url, token: "t", logger: Logger(label: "t"), configuration: fastTestConfiguration())
        let (result, seconds) = measure { Result { try client.authCheck() } }
        guard case .failure(let error as FastIOError) = result else { Issue.record("expected an error"); return }
        #expect(error.errno == EIO)
        #expect(error.kind == .transport(TransportFailure(reason: .connectFailed, curlCode: 7, requestMayHaveBeenSent: false)))
        #expect(seconds < 1)

        // With the default policy the retries stay bounded too (0.2+0.4+0.8+1.6 s, jittered, at most 3 s).
        let retrying = FastIOClient(baseURL: url, token: "t", logger: Logger(label: "t"),
                                    configuration: fastTestConfiguration(retry: RetryPolicy()))
        let (_, retrySeconds) = measure { Result { try retrying.authCheck() } }
        #expect(retrySeconds < 4)
        #expect(retrying.requestCounts()["GET user/auth/check"] == 5)
    }

    @Test func keepAliveReusesOneConnection() throws {
        let server = try TestHTTPServer { _ in okAuth }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        for _ in 0..<100 { #expect(try client.authCheck() == "2947763503651577469") }
        #expect(server.acceptedConnections == 1)
        #expect(client.connectionsOpened() == 1)
        #expect(client.requestCounts() == ["GET user/auth/check": 100])
    }

    @Test func oneConnectionPerThread() throws {
        let server = try TestHTTPServer { _ in okAuth }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        let failures = Atomic<Int>(0)
        let threads = 4
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            Thread {
                for _ in 0..<25 where (try? client.authCheck()) == nil { _ = failures.add(1, ordering: .relaxed) }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(server.acceptedConnections == threads)
        #expect(client.requestCounts()["GET user/auth/check"] == 100)
    }

    @Test func idempotentCallsRetry503ThenSucceed() throws {
        let calls = Atomic<Int>(0)
        let server = try TestHTTPServer { _ in
            calls.add(1, ordering: .relaxed).newValue <= 2 ? .json(#"{"result":false,"error":{"code":1600,"text":"busy"}}"#, status: 503) : okAuth
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: RetryPolicy()))
        #expect(try client.authCheck() == "2947763503651577469")
        #expect(client.requestCounts()["GET user/auth/check"] == 3)
    }

    @Test func resetConnectionIsRetried() throws {
        let calls = Atomic<Int>(0)
        let server = try TestHTTPServer { _ in calls.add(1, ordering: .relaxed).newValue == 1 ? .hangUp : okAuth }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: RetryPolicy()))
        #expect(try client.authCheck() == "2947763503651577469")
    }

    @Test func persistent503GivesEIOAfterBoundedRetries() throws {
        let server = try TestHTTPServer { _ in .respond(status: 503, headers: [:], body: Array("<html>down</html>".utf8)) }
        defer { server.stop() }
        var policy = RetryPolicy()
        policy.baseDelay = 0.01
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: policy))
        #expect { try client.authCheck() } throws: { ($0 as? FastIOError)?.errno == EIO && ($0 as? FastIOError)?.httpStatus == 503 }
        #expect(client.requestCounts()["GET user/auth/check"] == policy.maxAttempts)
    }

    @Test func rateLimitWaitsUntilTheAnnouncedReset() throws {
        let calls = Atomic<Int>(0)
        let server = try TestHTTPServer { _ in
            if calls.add(1, ordering: .relaxed).newValue == 1 {
                let reset = Int(Date().timeIntervalSince1970) + 2
                return .json(#"{"result":false,"error":{"code":1671,"text":"calm","error_code":"APP_ENHANCE_CALM"}}"#, status: 429,
                             headers: ["x-ve-limit-avail": "0", "x-ve-limit-expires": String(reset)])
            }
            return okAuth
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: RetryPolicy()))
        let (id, seconds) = try measure { try client.authCheck() }
        #expect(id == "2947763503651577469")
        #expect(seconds >= 0.9 && seconds < 3.5)
    }

    @Test func endlessRateLimitEndsInEAGAIN() throws {
        let server = try TestHTTPServer { _ in .json(#"{"result":false,"error":{"code":1671,"text":"calm"}}"#, status: 429) }
        defer { server.stop() }
        var policy = RetryPolicy()
        policy.defaultRateLimitWait = 0.2
        policy.rateLimitBudget = 0.7
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"),
                                  configuration: fastTestConfiguration(retry: policy))
        let (result, seconds) = measure { Result { try client.authCheck() } }
        guard case .failure(let error as FastIOError) = result else { Issue.record("expected an error"); return }
        #expect(error.errno == EAGAIN)
        #expect(error.httpStatus == 429)
        #expect(seconds < 2)
        #expect(client.requestCounts()["GET user/auth/check"] == 4)
    }

    @Test func tokenTravelsOnlyInTheAuthorizationHeaderAndNeverInLogs() throws {
        let server = try TestHTTPServer { request in
            request.path.hasSuffix("/details/") ? .json(#"{"result":false,"error":{"code":1609,"text":"nope"}}"#, status: 404) : okAuth
        }
        defer { server.stop() }
        let log = CapturedLog()
        let token = "SECRET-TOKEN-123"
        let client = FastIOClient(baseURL: server.baseURL, token: token, logger: log.logger(),
                                  configuration: fastTestConfiguration(retry: RetryPolicy()))
        _ = try client.authCheck()
        #expect { try client.nodeDetails(StorageProfile(kind: .workspace, id: "1"), nodeID: "x") } throws: {
            ($0 as? FastIOError)?.errno == ENOENT && !"\($0)".contains(token)
        }
        for request in server.requests {
            #expect(request.headers["authorization"] == "Bearer " + token)
            #expect(!request.target.contains(token))
        }
        #expect(!log.all.isEmpty)
        #expect(log.all.allSatisfy { !$0.contains(token) })
        #expect(log.all.contains { $0.contains("GET user/auth/check/ -> 200") })
    }

    @Test func listingInBothEnvelopeShapes() throws {
        let wrapped = #"{"result":"yes","response":{"nodes":{"items":[{"id":"2aaaa-bbbbb","name":"a","type":"file","parent":"root","size":"5"}]},"pagination":{"has_more":true,"next_cursor":"c/2=","page_size":100}}}"#
        let flat = #"{"result":true,"nodes":{"items":[{"id":"2cccc","name":"b","type":"folder","parent":"root"}]},"pagination":{"has_more":false,"next_cursor":null}}"#
        let server = try TestHTTPServer { request in
            request.query["cursor"] == nil ? .json(wrapped) : .json(flat)
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        let profile = StorageProfile(kind: .workspace, id: "3117763504443666597")
        let first = try client.listFolder(profile, folderID: "root", pageSize: 90, cursor: nil)
        #expect(first.items.map(\.id) == ["2aaaabbbbb"])
        #expect(first.items.first?.size == 5)
        #expect(first.nextCursor == "c/2=")
        let second = try client.listFolder(profile, folderID: "root", pageSize: 90, cursor: first.nextCursor)
        #expect(second.items.map(\.type) == [.folder])
        #expect(second.nextCursor == nil)
        let targets = server.requests.map(\.target)
        #expect(targets[0] == "/current/workspace/3117763504443666597/storage/root/list/?sort_by=name&sort_dir=asc&page_size=100")
        #expect(targets[1].hasSuffix("&cursor=c%2F2%3D"))
        #expect(server.requests[1].query["cursor"] == "c/2=")
    }

    @Test func discoveryFollowsOffsetPages() throws {
        let server = try TestHTTPServer { request in
            let offset = Int(request.query["offset"] ?? "0") ?? 0
            let items = (offset..<min(offset + 2, 5)).map { #"{"id":"\#($0)","folder_name":"w\#($0)","name":"W\#($0)"}"# }
            let more = offset + 2 < 5
            return .json(#"{"result":true,"workspaces":[\#(items.joined(separator: ","))],"pagination":{"total":5,"limit":2,"offset":\#(offset),"has_more":\#(more)}}"#)
        }
        defer { server.stop() }
        var configuration = FastIOClient.Configuration()
        configuration.discoveryPageSize = 2
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"), configuration: configuration)
        #expect(try client.listWorkspaces().map(\.folderName) == ["w0", "w1", "w2", "w3", "w4"])
        #expect(client.requestCounts()["GET workspaces/all"] == 3)
    }

    @Test func activityPollPassesLastActivityVerbatim() throws {
        let server = try TestHTTPServer { _ in
            .json(#"{"result":true,"results":1,"activity":{"storage:2abc":"2026-07-23 19:29:17.959201 UTC"},"lastactivity":"2026-07-23 19:29:17.959201 UTC"}"#)
        }
        defer { server.stop() }
        let client = FastIOClient(baseURL: server.baseURL, token: "t", logger: Logger(label: "t"))
        let poll = try client.pollActivity(profileID: "3117763504443666597", wait: 200, lastActivity: "2026-07-23 19:29:17.959200 UTC")
        #expect(poll.keys == ["storage:2abc"])
        #expect(poll.lastActivity == "2026-07-23 19:29:17.959201 UTC")
        let query = try #require(server.requests.first?.query)
        #expect(query["wait"] == "95")
        #expect(query["lastactivity"] == "2026-07-23 19:29:17.959200 UTC")
    }
}
