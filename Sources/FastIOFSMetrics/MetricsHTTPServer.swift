import FastIO
import Foundation
import Glibc
import Logging

/// Answers `GET /metrics` over HTTP/1.0 on one dedicated thread; everything else gets 404 (or 400).
///
/// Invariants: the socket is bound and listening when `init` returns (a taken port fails the mount,
/// not a later scrape); one thread accepts connections and serves them one at a time, each within
/// `exchangeTimeout` seconds in all (reading the head, building the body, writing the answer) and
/// with at most `maxRequestBytes` of request head kept, then closes it (after at most one second
/// waiting for the client to close first); `body` runs only on that thread.
/// So a slow or silent client delays only other scrapes, by at most `exchangeTimeout`, and FUSE
/// threads never wait for this thread (nor it for them, beyond the short locks `body` takes).
/// `stop()` wakes the thread, waits for it and closes every descriptor; it is idempotent.
public final class MetricsHTTPServer: Sendable {
    /// Where it listens (with the port the kernel chose when asked for port 0).
    public let address: MetricsAddress
    public let exchangeTimeout: Double
    public let maxRequestBytes: Int

    private struct State {
        var started = false
        var stopped = false
    }
    private let state = Locked(State())
    private let listener: Int32
    /// A pipe: `stop()` writes to [1], the thread polls [0] beside the sockets.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let logger: Logger
    private let body: @Sendable () -> [UInt8]

    public init(address: MetricsAddress, exchangeTimeout: Double = 5, maxRequestBytes: Int = 8192,
                logger: Logger, body: @escaping @Sendable () -> [UInt8]) throws(MetricsServerError) {
        self.exchangeTimeout = exchangeTimeout
        self.maxRequestBytes = maxRequestBytes
        self.logger = logger
        self.body = body
        let bound = try Self.listen(on: address)
        listener = bound.descriptor
        self.address = address.with(port: bound.port)
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let code = errno
            close(bound.descriptor)
            throw MetricsServerError("cannot create a pipe: \(String(cString: strerror(code)))")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        wakeRead = ends[0]
        wakeWrite = ends[1]
    }

    deinit {
        stop()
    }

    /// Starts the serving thread (once; not after `stop()`).
    public func start() {
        let begin = state.withLock { state -> Bool in
            guard !state.started, !state.stopped else { return false }
            state.started = true
            return true
        }
        guard begin else { return }
        let thread = Thread { [self] in
            Self.blockTerminationSignals()
            serve()
            finished.signal()
        }
        thread.name = "fastiofs-metrics"
        thread.start()
    }

    /// Ends the thread (an exchange in progress is cut short) and closes the sockets.
    public func stop() {
        let (wasStarted, first) = state.withLock { state -> (Bool, Bool) in
            defer { state.stopped = true }
            return (state.started, !state.stopped)
        }
        guard first else { return }
        if wasStarted {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            if finished.wait(timeout: .now() + exchangeTimeout + 5) == .timedOut {
                logger.warning("the metrics server thread did not stop; closing its socket anyway")
            }
        }
        close(listener)
        close(wakeRead)
        close(wakeWrite)
    }

    // MARK: - the serving thread

    private func serve() {
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("metrics server: poll failed: \(String(cString: strerror(errno))); serving no more scrapes")
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                let code = errno
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    logger.warning("metrics server: cannot accept: \(String(cString: strerror(code)))")
                    usleep(100_000)   // the connection waits in the backlog; do not spin on it
                }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            exchange(with: client)
            close(client)
        }
    }

    /// Reads one request head, answers it, half-closes. Gives up silently at the deadline or on stop.
    private func exchange(with client: Int32) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(exchangeTimeout * 1000))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        var verdict = MetricsHTTPRequest.incomplete
        while verdict == .incomplete {
            guard wait(for: client, events: Int16(POLLIN), until: deadline) else {
                logger.debug("metrics server: a client sent no complete request in time; closed")
                return
            }
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, min($0.count, maxRequestBytes - received.count + 1), 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            if count == 0 { return }   // the client went away before finishing its request
            received.append(contentsOf: chunk[..<count])
            verdict = MetricsHTTPRequest.classify(received, limit: maxRequestBytes)
        }
        let answer: [UInt8]
        switch verdict {
        case .metrics:
            let start = ContinuousClock.now
            answer = MetricsHTTPResponse.metrics(body())
            logger.trace("metrics server: GET /metrics answered in \(ContinuousClock.now - start)")
        case .notFound:
            answer = MetricsHTTPResponse.notFound
        case .badRequest, .incomplete:
            answer = MetricsHTTPResponse.badRequest
        }
        var sent = 0
        while sent < answer.count {
            guard wait(for: client, events: Int16(POLLOUT), until: deadline) else {
                logger.debug("metrics server: a client did not take its answer in time; closed")
                return
            }
            let count = answer[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            sent += count
        }
        shutdown(client, Int32(SHUT_WR))
        linger(client, until: min(deadline, ContinuousClock.now + .seconds(1)))
    }

    /// Reads and drops what the client still sends (a refused oversized head, say) until it closes,
    /// at most 64 KiB and until `deadline`: closing with unread input would send a reset, which can
    /// destroy the answer before the client has read it.
    private func linger(_ client: Int32, until deadline: ContinuousClock.Instant) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var drained = 0
        while drained < 64 * 1024, wait(for: client, events: Int16(POLLIN), until: deadline) {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if count <= 0 { return }
            drained += count
        }
    }

    /// Polls `client` for `events` until `deadline`; false on timeout, on an error and on stop.
    private func wait(for client: Int32, events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
            var fds = [pollfd(fd: client, events: events, revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return false
            }
            if fds[1].revents != 0 { return false }
            if fds[0].revents != 0 { return true }   // readable, writable, or hung up (recv/send tell)
        }
    }

    // MARK: - socket setup

    private static func listen(on address: MetricsAddress) throws(MetricsServerError) -> (descriptor: Int32, port: UInt16) {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let descriptor = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw MetricsServerError(call: "socket", address: address) }
        var failure: MetricsServerError?
        defer { if failure != nil { close(descriptor) } }
        var one: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let boundRC: Int32
        switch address.family {
        case .ipv4:
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = address.port.bigEndian
            socketAddress.sin_addr = MetricsAddress.ipv4(address.host) ?? in_addr()
            boundRC = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            // An IPv6 socket takes IPv6 only, so `[::]` means what it says and no more.
            _ = setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = address.port.bigEndian
            socketAddress.sin6_addr = MetricsAddress.ipv6(address.host) ?? in6_addr()
            boundRC = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        guard boundRC == 0 else {
            failure = MetricsServerError(call: "bind", address: address)
            throw failure!
        }
        guard Glibc.listen(descriptor, 16) == 0 else {
            failure = MetricsServerError(call: "listen", address: address)
            throw failure!
        }
        guard fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            failure = MetricsServerError(call: "fcntl", address: address)
            throw failure!
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            failure = MetricsServerError(call: "getsockname", address: address)
            throw failure!
        }
        let port: UInt16 = withUnsafePointer(to: &storage) { pointer in
            address.family == .ipv4
                ? pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                : pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
        }
        return (descriptor, port)
    }

    /// The termination signals belong to the FUSE loop (see `TerminationSignals`), never to this thread.
    private static func blockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}

/// Why the metrics server could not listen; names the address and the system's reason.
public struct MetricsServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
    init(call: String, address: MetricsAddress) {
        description = "cannot serve metrics on \(address): \(call): \(String(cString: strerror(errno)))"
    }
}
