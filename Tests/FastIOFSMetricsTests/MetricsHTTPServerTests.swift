import FastIO
@testable import FastIOFSMetrics
import Foundation
import Glibc
import Logging
import Testing

/// The metrics server on an ephemeral loopback port, spoken to over plain sockets.
@Suite(.timeLimit(.minutes(2)))
struct MetricsHTTPServerTests {
    private static func server(timeout: Double = 5, body: @escaping @Sendable () -> [UInt8] = { Array("up 1\n".utf8) })
        throws -> MetricsHTTPServer {
        var logger = Logger(label: "MetricsHTTPServerTests")
        logger.logLevel = .warning
        let server = try MetricsHTTPServer(address: try MetricsAddress(host: "127.0.0.1", port: 0),
                                           exchangeTimeout: timeout, logger: logger, body: body)
        server.start()
        return server
    }

    @Test func getMetricsIsServedAndEverythingElseIsNotFound() throws {
        let server = try Self.server()
        defer { server.stop() }
        #expect(server.address.port != 0)
        #expect(server.address.isLoopback)

        let ok = try RawHTTP.exchange(port: server.address.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        #expect(ok.status == 200)
        #expect(ok.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ok.headers["content-length"] == "5")
        #expect(ok.headers["connection"] == "close")
        #expect(ok.body == "up 1\n")
        #expect(ok.statusLine.hasPrefix("HTTP/1.0 "))

        #expect(try RawHTTP.exchange(port: server.address.port, "GET /metrics?name[]=x HTTP/1.0\r\n\r\n").status == 200)
        #expect(try RawHTTP.exchange(port: server.address.port, "GET /metrics HTTP/1.0\n\n").status == 200)
        for request in ["GET / HTTP/1.0\r\n\r\n", "GET /metricsx HTTP/1.1\r\n\r\n", "GET /metrics/ HTTP/1.1\r\n\r\n",
                        "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HEAD /metrics HTTP/1.1\r\n\r\n"] {
            #expect(try RawHTTP.exchange(port: server.address.port, request).status == 404, "\(request)")
        }
        for request in ["hello\r\n\r\n", "GET /metrics\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n"] {
            #expect(try RawHTTP.exchange(port: server.address.port, request).status == 400, "\(request)")
        }
    }

    @Test func aRequestHeadOverTheLimitIsRefusedWithoutBeingReadToTheEnd() throws {
        let server = try Self.server()
        defer { server.stop() }
        let huge = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
        let answer = try RawHTTP.exchange(port: server.address.port, huge)
        #expect(answer.status == 400)
        // The server still answers afterwards.
        #expect(try RawHTTP.exchange(port: server.address.port, "GET /metrics HTTP/1.0\r\n\r\n").status == 200)
    }

    @Test func aSilentClientDelaysAnotherScrapeOnlyUntilItsDeadline() throws {
        let server = try Self.server(timeout: 0.5)
        defer { server.stop() }
        let silent = try RawHTTP.connect(port: server.address.port)
        defer { close(silent) }
        usleep(50_000)   // accepted first: the scrape below queues behind it
        let start = Date()
        let answer = try RawHTTP.exchange(port: server.address.port, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(answer.status == 200)
        #expect(Date().timeIntervalSince(start) < 3, "waited only for the silent client's deadline")
        // The silent client was dropped without an answer.
        var byte: UInt8 = 0
        #expect(recv(silent, &byte, 1, 0) == 0)
    }

    @Test func stopEndsServingAndATakenPortIsAClearError() throws {
        let server = try Self.server()
        let port = server.address.port
        #expect(throws: MetricsServerError.self) {
            _ = try MetricsHTTPServer(address: try MetricsAddress(host: "127.0.0.1", port: port),
                                      logger: Logger(label: "test"), body: { [] })
        }
        let address = try MetricsAddress(host: "127.0.0.1", port: port)
        do throws(MetricsServerError) {
            _ = try MetricsHTTPServer(address: address, logger: Logger(label: "test"), body: { [] })
            Issue.record("a second server bound the same port")
        } catch {
            #expect(error.description.contains("127.0.0.1:\(port)"), "\(error)")
            #expect(error.description.contains("in use"), "\(error)")
        }
        server.stop()
        server.stop()
        #expect(throws: RawHTTP.Failure.self) { _ = try RawHTTP.connect(port: port) }
    }

    @Test func theBodyIsBuiltPerScrape() throws {
        let counter = ScrapeCounter()
        let server = try Self.server { Array("scrapes \(counter.next())\n".utf8) }
        defer { server.stop() }
        #expect(try RawHTTP.exchange(port: server.address.port, "GET /metrics HTTP/1.0\r\n\r\n").body == "scrapes 1\n")
        #expect(try RawHTTP.exchange(port: server.address.port, "GET /nothing HTTP/1.0\r\n\r\n").status == 404)
        #expect(try RawHTTP.exchange(port: server.address.port, "GET /metrics HTTP/1.0\r\n\r\n").body == "scrapes 2\n")
    }

    @Test func requestClassification() {
        func classify(_ text: String, limit: Int = 100) -> MetricsHTTPRequest {
            MetricsHTTPRequest.classify(Array(text.utf8), limit: limit)
        }
        #expect(classify("GET /metrics HTTP/1.1\r\n") == .incomplete)
        #expect(classify("GET /metrics HTTP/1.1\r\nHost: a\r\n") == .incomplete)
        #expect(classify("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n") == .metrics)
        #expect(classify("GET /metrics?x=1 HTTP/1.1\r\n\r\n") == .metrics)
        #expect(classify("GET /other HTTP/1.1\r\n\r\n") == .notFound)
        #expect(classify("PUT /metrics HTTP/1.1\r\n\r\n") == .notFound)
        #expect(classify("GET  /metrics HTTP/1.1\r\n\r\n") == .badRequest)
        #expect(classify("GET /metrics FTP/1.1\r\n\r\n") == .badRequest)
        #expect(classify(String(repeating: "a", count: 100)) == .badRequest)
        #expect(classify("GET /metrics HTTP/1.1\r\n" + String(repeating: "a", count: 100) + "\r\n\r\n") == .badRequest)
    }
}

/// Counts scrapes from the server's thread.
final class ScrapeCounter: Sendable {
    private let count = Locked(0)
    func next() -> Int { count.withLock { $0 += 1; return $0 } }
}

/// A blocking HTTP/1.0 client over a plain socket: send everything, read until the server closes.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Answer {
        var statusLine: String
        var status: Int
        var headers: [String: String]
        var body: String
    }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect to port \(port): \(message)")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func exchange(port: UInt16, _ request: String) throws -> Answer {
        let fd = try connect(port: port)
        defer { close(fd) }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }   // the server may close early on an oversized head; read its answer
            sent += count
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == ECONNRESET && !received.isEmpty { break }
            guard count >= 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            received.append(contentsOf: chunk[..<count])
        }
        return try parse(received)
    }

    static func parse(_ bytes: [UInt8]) throws -> Answer {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no head in \(text.prefix(200))") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines[0]
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "status line \(statusLine)") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(statusLine: statusLine, status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}
