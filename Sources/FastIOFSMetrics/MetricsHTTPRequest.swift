/// What the metrics server makes of the bytes a client has sent so far. Pure: no socket, no clock.
///
/// Invariant: a request is judged only once its head is complete (a blank line ends it), so the
/// answer never goes out while the client is still sending its head; a head that does not end
/// within `limit` bytes is `.badRequest`, so the server never buffers more than `limit` bytes.
enum MetricsHTTPRequest: Equatable {
    /// The head has not ended yet and is still under the limit: read more.
    case incomplete
    /// `GET /metrics` (a query string is ignored).
    case metrics
    /// A well-formed request for anything else (another path or another method).
    case notFound
    /// Not HTTP, or a head longer than the limit.
    case badRequest

    static func classify(_ bytes: [UInt8], limit: Int) -> MetricsHTTPRequest {
        guard let headEnd = headLength(bytes) else { return bytes.count >= limit ? .badRequest : .incomplete }
        guard headEnd <= limit else { return .badRequest }
        let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? headEnd
        var line = bytes[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].first == UInt8(ascii: "/"),
              parts[2].starts(with: Array("HTTP/".utf8)) else { return .badRequest }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = parts[1]
        let path = target.split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false).first ?? target
        return method == "GET" && String(decoding: path, as: UTF8.self) == "/metrics" ? .metrics : .notFound
    }

    /// The length of the head including its blank line (`\r\n\r\n` or a bare `\n\n`), or nil.
    static func headLength(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                let next = index + 1
                if next < bytes.count && bytes[next] == UInt8(ascii: "\n") { return next + 1 }
                if next + 1 < bytes.count && bytes[next] == UInt8(ascii: "\r") && bytes[next + 1] == UInt8(ascii: "\n") {
                    return next + 2
                }
            }
            index += 1
        }
        return nil
    }
}

/// One complete HTTP/1.0 answer: status line, headers, body; the connection closes after it.
///
/// Invariant: `Content-Length` is always the body's length and `Connection: close` is always sent, so
/// a client knows the answer is whole without relying on the close.
enum MetricsHTTPResponse {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func bytes(status: Int, reason: String, contentType: String = "text/plain; charset=utf-8",
                      body: [UInt8]) -> [UInt8] {
        let head = "HTTP/1.0 \(status) \(reason)\r\n"
            + "Content-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    static func metrics(_ body: [UInt8]) -> [UInt8] {
        bytes(status: 200, reason: "OK", contentType: contentType, body: body)
    }

    static let notFound = bytes(status: 404, reason: "Not Found", body: Array("only GET /metrics is served here\n".utf8))
    static let badRequest = bytes(status: 400, reason: "Bad Request", body: Array("bad request\n".utf8))
}
