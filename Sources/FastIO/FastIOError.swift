import Glibc

/// Every failure of a `FastIOAPI` call.
///
/// Invariant: `errno` is always a positive POSIX error number and is what the kernel sees; `message`
/// never contains a token (tokens are never put into requests' URLs, logs or error text).
public struct FastIOError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error (non-2xx, or a 2xx envelope whose `result` is false).
        case api
        /// No usable HTTP answer: connect/DNS/TLS failure, reset, timeout or stall.
        case transport(TransportFailure)
        /// A 2xx answer that could not be understood.
        case invalidResponse
        /// Bad local setup: credentials, endpoint, arguments.
        case configuration
        /// A local file (an upload's source) could not be read.
        case localFile
    }

    public var kind: Kind
    /// HTTP status when the server answered.
    public var httpStatus: Int?
    /// `error.code`, numeric even when it arrived as a string (codes can exceed 32 bits).
    public var apiCode: Int?
    /// `error.error_code`, e.g. `APP_AUTH_INVALID`.
    public var errorCode: String?
    public var message: String
    /// The route template the call used, e.g. `GET storage/list`.
    public var route: String?
    public var errno: Int32

    public init(kind: Kind, httpStatus: Int? = nil, apiCode: Int? = nil, errorCode: String? = nil,
                message: String, route: String? = nil, errno: Int32? = nil) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.apiCode = apiCode
        self.errorCode = errorCode
        self.message = message
        self.route = route
        switch kind {
        case .transport(let failure):
            self.errno = errno ?? ErrnoMapping.errno(for: failure)
        case .api:
            self.errno = errno ?? ErrnoMapping.errno(httpStatus: httpStatus, apiCode: apiCode)
        case .invalidResponse, .localFile:
            self.errno = errno ?? EIO
        case .configuration:
            self.errno = errno ?? EINVAL
        }
    }

    public static func configuration(_ message: String) -> FastIOError {
        FastIOError(kind: .configuration, message: message)
    }

    /// The same error with another errno, for call sites that know better (e.g. a 400/1605 name
    /// conflict on create or rename is `EEXIST`).
    public func with(errno: Int32) -> FastIOError {
        var copy = self
        copy.errno = errno
        return copy
    }

    /// True for a 400/1605 "invalid input" answer, which create/rename use for name conflicts.
    public var isInvalidInput: Bool { apiCode == 1605 || (apiCode == nil && httpStatus == 400) }
    public var isNotFound: Bool { errno == ENOENT }

    public var description: String {
        var parts: [String] = []
        if let route { parts.append(route + ":") }
        switch kind {
        case .transport(let failure): parts.append(failure.description)
        case .configuration, .invalidResponse, .api, .localFile: break
        }
        if let httpStatus { parts.append("HTTP \(httpStatus)") }
        parts.append(message)
        var extra: [String] = []
        if let apiCode { extra.append("code \(apiCode)") }
        if let errorCode { extra.append(errorCode) }
        if !extra.isEmpty { parts.append("(" + extra.joined(separator: ", ") + ")") }
        return parts.joined(separator: " ")
    }
}

/// Why a request got no usable HTTP answer, classified for errno mapping and retry decisions.
public struct TransportFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, Equatable {
        /// TCP connect refused or failed: the request was certainly not sent.
        case connectFailed = "connect failed"
        /// Name resolution failed: the request was certainly not sent.
        case resolveFailed = "DNS lookup failed"
        /// Connect timeout, stall (no progress for the stall window) or total timeout.
        case timedOut = "timed out"
        /// The connection broke after it was established (reset, empty reply, send/recv error).
        case connectionLost = "connection lost"
        /// TLS handshake or certificate verification failed.
        case tlsFailed = "TLS failed"
        /// Anything else libcurl reports.
        case other = "transfer failed"
        /// Aborted on purpose through a `TransferCancellation` (never retried).
        case cancelled = "cancelled"
    }
    public var reason: Reason
    /// The `CURLcode`, for diagnostics.
    public var curlCode: Int
    /// True when the request may have reached the server (so a non-idempotent call is not retried).
    public var requestMayHaveBeenSent: Bool

    public init(reason: Reason, curlCode: Int = 0, requestMayHaveBeenSent: Bool) {
        self.reason = reason
        self.curlCode = curlCode
        self.requestMayHaveBeenSent = requestMayHaveBeenSent
    }

    public var description: String { "\(reason.rawValue) (curl \(curlCode))" }
}
