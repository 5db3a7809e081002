import CCurlShim
import Foundation
import Logging

/// The Fast.io API client on libcurl: every `FastIOAPI` call as a blocking request on the calling
/// thread's reused easy handle (keep-alive), with bounded timeouts, retries per `RetryPolicy`, both
/// envelope shapes, and errors as `FastIOError` carrying the errno the kernel should see.
///
/// Invariants: safe to use from any number of threads at once (all state is immutable or behind a
/// `Locked`); never blocks Swift's cooperative pool on purpose (call it from pthreads/FUSE workers);
/// the token only ever appears in the `Authorization` header, never in URLs, logs or errors.
public final class FastIOClient: FastIOAPI, Sendable {
    public let baseURL: URL
    public let configuration: Configuration
    let logger: Logger
    /// `baseURL` as text without a trailing slash.
    let base: String
    /// `Authorization: Bearer …` (the only place the token lives).
    let authorizationHeaderLine: String
    let counters = RequestCounters()

    public init(baseURL: URL, token: String, logger: Logger, configuration: Configuration = .init()) {
        self.baseURL = baseURL
        self.configuration = configuration
        self.logger = logger
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.base = text
        let cleanToken = token.filter { !$0.isNewline && $0 != "\0" }.trimmingWhitespace()
        self.authorizationHeaderLine = "Authorization: Bearer " + cleanToken
        _ = CurlRuntime.shared
    }

    /// HTTP requests sent so far (retries included), by route template, e.g. `GET storage/list`.
    public func requestCounts() -> [String: Int] { counters.snapshot() }
    /// Requests sent and not answered yet, by route (the activity long-poll is nearly always one).
    public func requestsInFlight() -> [String: Int] { counters.inFlight() }

    /// Connections libcurl opened so far; stays near the number of threads when keep-alive works.
    public func connectionsOpened() -> Int { counters.connectionsOpened() }

    public func resetRequestCounts() { counters.reset() }

    /// Requests by route and status, retries, 429 waits, bytes read: cumulative since the start.
    public func statistics() -> APIStatistics { counters.statistics() }

    // MARK: - Request execution

    /// Sends `request` with retries and returns the decoded payload (always an object).
    func call(_ request: APIRequest, body: StreamedBody? = nil, acceptAfterRetry: Set<Int> = []) throws -> JSONValue {
        let response = try send(request, body: body, acceptAfterRetry: acceptAfterRetry)
        switch APIEnvelope.payload(status: response.status, body: response.data, route: request.route) {
        case .success(let payload): return payload
        case .failure(let error): throw error
        }
    }

    struct RawResponse {
        var status: Int
        var headers: [String: String]
        var data: Data
    }

    /// A request body streamed from disk; `make` is called once per attempt.
    struct StreamedBody {
        var contentType: String
        var make: () -> UploadBodySource
    }

    /// Sends `request` with retries; returns the first 2xx answer or throws the final failure.
    /// A status in `acceptAfterRetry` seen after a retried attempt counts as success (a DELETE
    /// whose first, lost, answer had already done the work).
    func send(_ request: APIRequest, body: StreamedBody? = nil, acceptAfterRetry: Set<Int> = []) throws -> RawResponse {
        let started = ContinuousClock.now
        var state = RetryPolicy.State()
        var retried = false
        while true {
            let source = body?.make()
            if let cancelled = Self.cancelledError(request) { throw cancelled }
            let attempt = sendOnce(request, source: source, contentType: body?.contentType)
            if let readError = source?.readError {
                throw FastIOError(kind: .localFile, message: "cannot read the file being uploaded: "
                                  + String(cString: strerror(readError)), route: request.route, errno: EIO)
            }
            let failure: RetryPolicy.Failure
            let error: FastIOError
            switch attempt {
            case .success(let response):
                return response
            case .failure(let attemptFailure, let attemptError):
                if retried, let status = attemptError.httpStatus, acceptAfterRetry.contains(status) {
                    return RawResponse(status: 200, headers: [:], data: Data(#"{"result":true}"#.utf8))
                }
                guard let attemptFailure else { throw attemptError }
                failure = attemptFailure
                error = attemptError
            }
            let elapsed = Self.seconds(since: started)
            let decision = configuration.retry.decide(failure, idempotent: request.idempotent, state: state,
                                                      elapsed: elapsed, jitter: Double.random(in: 0..<1))
            guard case .retry(let delay) = decision else { throw error }
            configuration.retry.record(failure, delay: delay, into: &state)
            counters.retrying(route: request.route, rateLimited: failure.isRateLimit, delay: delay)
            retried = true
            logger.debug("retrying \(request.route) in \(Int(delay * 1000)) ms after: \(error)")
            Self.sleep(seconds: delay, cancellation: request.cancellation)
        }
    }

    enum AttemptResult {
        case success(RawResponse)
        /// `retryable` is nil when no retry can help (a decoded non-retryable answer is still
        /// passed through the policy when it has a status).
        case failure(RetryPolicy.Failure?, FastIOError)
    }

    private func sendOnce(_ request: APIRequest, source: UploadBodySource?, contentType: String?) -> AttemptResult {
        var headers = [authorizationHeaderLine, "Accept: application/json"]
        var body = CurlTransfer.Body.none
        if let source {
            body = .stream(source)
            if let contentType { headers.append("Content-Type: " + contentType) }
        } else if let form = request.form {
            body = .bytes(Array(URLEncoding.query(form).utf8))
            headers.append("Content-Type: application/x-www-form-urlencoded")
        }
        // Streamed uploads have no total limit (their length is open); the stall guard bounds them.
        let total = source == nil ? configuration.jsonRequestTimeout : nil
        var transfer = CurlTransfer(method: request.method, url: base + "/" + request.target, headers: headers,
                                    body: body, limits: limits(serverWait: request.serverWait, total: total))
        transfer.acceptCompressed = true
        transfer.bufferSize = 64 * 1024
        transfer.userAgent = configuration.userAgent
        transfer.caBundlePath = configuration.caBundlePath
        transfer.cancellation = request.cancellation
        let collector = ResponseCollector(mode: .buffered(limit: configuration.maxResponseBytes))
        let clock = ContinuousClock.now
        counters.started(route: request.route)
        let outcome = transfer.perform(into: collector)
        counters.record(route: request.route, status: outcome.countedStatus, newConnections: outcome.newConnections)
        logExchange(request.method, request.target, outcome: outcome, since: clock)
        return evaluate(outcome, collector: collector, route: request.route)
    }

    /// Turns one exchange into a response or a (possibly retryable) failure.
    func evaluate(_ outcome: CurlTransfer.Outcome, collector: ResponseCollector, route: String) -> AttemptResult {
        if let transport = outcome.failure {
            return .failure(.transport(transport),
                            FastIOError(kind: .transport(transport), message: outcome.curlMessage, route: route))
        }
        if let rejection = collector.rejection {
            return .failure(nil, FastIOError(kind: .invalidResponse, httpStatus: outcome.status,
                                             message: rejection, route: route))
        }
        let status = outcome.status
        if (200..<300).contains(status) {
            return .success(RawResponse(status: status, headers: outcome.headers, data: collector.body))
        }
        var error = APIEnvelope.error(status: status, body: collector.body, route: route)
        if status == 429 {
            let limits = RateLimitHeaders(headers: outcome.headers)
            let wait = limits.secondsUntilReset(now: Date().timeIntervalSince1970)
            error = error.with(errno: EAGAIN)
            return .failure(.status(429, rateLimitWait: wait), error)
        }
        return .failure(.status(status), error)
    }

    func limits(serverWait: Double, total: Double?) -> CurlTransfer.Limits {
        let stall = configuration.stallSeconds + Int(serverWait.rounded(.up))
        let totalLimit = total.map { $0 + serverWait }
        return CurlTransfer.Limits(connectTimeout: configuration.connectTimeout, stallSeconds: stall,
                                   stallMinimumBytesPerSecond: configuration.stallMinimumBytesPerSecond,
                                   total: totalLimit)
    }

    func logExchange(_ method: CurlTransfer.Method, _ target: String, outcome: CurlTransfer.Outcome,
                     since start: ContinuousClock.Instant) {
        logger.debug("\(method.rawValue) \(LogRedaction.redact(target)) -> \(outcome.failure.map { "\($0)" } ?? String(outcome.status)) in \(String(format: "%.1f", Self.seconds(since: start) * 1000)) ms")
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The error a cancelled request ends with, or nil while it may go on.
    static func cancelledError(_ request: APIRequest) -> FastIOError? {
        guard request.cancellation?.isCancelled == true else { return nil }
        return FastIOError(kind: .transport(TransportFailure(reason: .cancelled, requestMayHaveBeenSent: false)),
                           message: "cancelled", route: request.route)
    }

    /// Sleeps `seconds`, in slices of at most 100 ms, returning early once `cancellation` is cancelled.
    static func sleep(seconds: Double, cancellation: TransferCancellation?) {
        guard let cancellation else { return sleep(seconds: seconds) }
        var remaining = seconds
        while remaining > 0 && !cancellation.isCancelled {
            let slice = min(remaining, 0.1)
            sleep(seconds: slice)
            remaining -= slice
        }
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// A path segment for an id or name.
    static func segment(_ value: String) -> String { URLEncoding.component(value) }

    /// A node id as sent: canonical form, percent-encoded.
    static func nodeSegment(_ id: String) -> String { URLEncoding.component(OpaqueID.canonical(id)) }
}
