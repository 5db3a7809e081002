import FastIO
import Foundation
import Glibc

/// A tiny HTTP/1.1 server on 127.0.0.1:0 for transport tests: keep-alive, scripted answers, and
/// misbehaviours (never answering). One thread accepts; one thread serves each connection.
///
/// Invariant: `stop()` shuts every socket down, waits until the server's threads have exited, and only
/// then are the descriptors closed (each by the thread that owns it), so a descriptor number is never
/// closed twice or used after another test reused it; `deinit` stops it too.
final class TestHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]
        var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
        var query: [String: String] {
            guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
            var out: [String: String] = [:]
            for item in q.split(separator: "&") {
                let kv = item.split(separator: "=", maxSplits: 1)
                out[String(kv[0])] = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
            }
            return out
        }
    }

    enum Reply: Sendable {
        case respond(status: Int, headers: [String: String], body: [UInt8])
        /// Reads the request and never answers (the connection stays open until stop()).
        case silence
        /// Closes the connection without answering.
        case hangUp
        /// Announces `declaredLength` body bytes, sends only `body`, then closes the connection.
        case truncated(status: Int, headers: [String: String], body: [UInt8], declaredLength: Int)
    }

    private struct State {
        var connections: [Int32] = []
        var requests: [Request] = []
        var acceptedConnections = 0
        var stopped = false
        var activeThreads = 0
        var listenerClosed = false
    }

    let port: Int
    private let listener: Int32
    private let state = Locked(State())
    private let handler: @Sendable (Request) -> Reply
    private let accepting: Bool

    /// - Parameter acceptConnections: false leaves connections in the listen backlog unaccepted.
    init(acceptConnections: Bool = true, handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        accepting = acceptConnections
        if acceptConnections {
            state.withLock { $0.activeThreads += 1 }
            let thread = Thread { [self] in
                acceptLoop()
                state.withLock { s in
                    close(listener)
                    s.listenerClosed = true
                    s.activeThreads -= 1
                }
            }
            thread.start()
        }
    }

    deinit { stop() }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/current")! }
    var requests: [Request] { state.withLock { $0.requests } }
    var acceptedConnections: Int { state.withLock { $0.acceptedConnections } }

    func stop() {
        // Shut down under the lock: a descriptor is closed only under the same lock, so it cannot be
        // closed (and its number reused elsewhere) between the snapshot and the shutdown.
        let first = state.withLock { s -> Bool in
            if s.stopped { return false }
            s.stopped = true
            for fd in s.connections { shutdown(fd, Int32(SHUT_RDWR)) }
            if !s.listenerClosed { shutdown(listener, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        let deadline = Date().addingTimeInterval(5)
        while state.withLock({ $0.activeThreads }) > 0 && Date() < deadline { usleep(2000) }
        if !accepting {
            state.withLock { s in
                close(listener)
                s.listenerClosed = true
            }
        }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let keep = state.withLock { s -> Bool in
                if s.stopped { return false }
                s.connections.append(fd)
                s.acceptedConnections += 1
                s.activeThreads += 1
                return true
            }
            guard keep else { close(fd); return }
            let thread = Thread { [self] in
                serve(fd)
                state.withLock { s in
                    s.connections.removeAll { $0 == fd }
                    close(fd)
                    s.activeThreads -= 1
                }
            }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        while true {
            guard let request = readRequest(fd, &buffer) else { return }
            state.withLock { $0.requests.append(request) }
            switch handler(request) {
            case .silence:
                while recvSome(fd, &buffer) { }
                return
            case .hangUp:
                shutdown(fd, Int32(SHUT_RDWR))
                return
            case .truncated(let status, let headers, let body, let declared):
                var head = "HTTP/1.1 \(status) X\r\nContent-Length: \(declared)\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                head += "\r\n"
                _ = sendAll(fd, Array(head.utf8)) && sendAll(fd, body)
                shutdown(fd, Int32(SHUT_RDWR))
                return
            case .respond(let status, let headers, let body):
                var head = "HTTP/1.1 \(status) X\r\nContent-Length: \(body.count)\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                head += "\r\n"
                guard sendAll(fd, Array(head.utf8)), sendAll(fd, body) else { return }
            }
        }
    }

    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while headerEnd == nil {
            if let range = find(separator, in: buffer) { headerEnd = range } else if !recvSome(fd, &buffer) { return nil }
        }
        let headText = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headerEnd! + 4
        while buffer.count < bodyStart + length { if !recvSome(fd, &buffer) { return nil } }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    private func recvSome(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard got > 0 else { return false }
        buffer.append(contentsOf: chunk[..<got])
        return true
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }
}

extension TestHTTPServer.Reply {
    static func json(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Self {
        var all = headers
        all["Content-Type"] = "application/json"
        return .respond(status: status, headers: all, body: Array(text.utf8))
    }
}
