/// Incremental multipart/form-data parser: feed it body buffers as they arrive and it emits part
/// boundaries, part headers and body bytes without ever holding a whole part in memory.
/// Invariant: bytes not yet emitted are only the possible prefix of a delimiter (or an incomplete header block).
public struct MultipartParser: Sendable {
    public enum Event: Equatable, Sendable {
        /// A new part begins; header names are lowercased.
        case partBegin([String: String])
        case data([UInt8])
        case partEnd
    }

    public enum ParseError: Error, Equatable { case malformed(String) }

    private enum State { case preamble, headers, body, afterDelimiter, epilogue }

    private let delimiter: [UInt8]  // "\r\n--" + boundary
    private var pending: [UInt8] = [0x0D, 0x0A]  // virtual CRLF so the first boundary matches the delimiter
    private var state: State = .preamble

    public init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Extracts the boundary parameter from a Content-Type header value.
    public static func boundary(fromContentType value: String) -> String? {
        guard value.lowercased().hasPrefix("multipart/") else { return nil }
        for param in value.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var b = kv[1].trimmingCharacters(in: .whitespaces)
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            return b
        }
        return nil
    }

    public var isFinished: Bool { state == .epilogue }

    public mutating func feed(_ bytes: [UInt8]) throws -> [Event] {
        if state == .epilogue { return [] }
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var progress = true
        while progress {
            progress = false
            switch state {
            case .preamble, .body:
                if let at = find(delimiter, in: pending) {
                    if state == .body {
                        if at > 0 { events.append(.data(Array(pending[0..<at]))) }
                        events.append(.partEnd)
                    }
                    pending.removeFirst(at + delimiter.count)
                    state = .afterDelimiter
                    progress = true
                } else {
                    let keep = min(pending.count, delimiter.count - 1)
                    let emit = pending.count - keep
                    if emit > 0 {
                        if state == .body { events.append(.data(Array(pending[0..<emit]))) }
                        pending.removeFirst(emit)
                    }
                }
            case .afterDelimiter:
                guard pending.count >= 2 else { break }
                if pending[0] == UInt8(ascii: "-"), pending[1] == UInt8(ascii: "-") {
                    state = .epilogue
                    pending.removeAll()
                    return events
                }
                // Transport padding then CRLF.
                if let crlf = find([0x0D, 0x0A], in: pending) {
                    pending.removeFirst(crlf + 2)
                    state = .headers
                    progress = true
                } else if pending.count > 1024 {
                    throw ParseError.malformed("bad delimiter line")
                }
            case .headers:
                if let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: pending) {
                    let block = String(decoding: pending[0..<end], as: UTF8.self)
                    pending.removeFirst(end + 4)
                    var headers: [String: String] = [:]
                    for line in block.split(separator: "\r\n") {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                    events.append(.partBegin(headers))
                    state = .body
                    progress = true
                } else if pending.count > 16 * 1024 {
                    throw ParseError.malformed("part headers too long")
                } else if pending.count == 2, pending == [0x0D, 0x0A] {
                    // Empty header block is "\r\n" directly: handled once more bytes arrive.
                }
            case .epilogue:
                pending.removeAll()
            }
        }
        return events
    }

    /// Call at end of body: throws unless the closing delimiter was seen.
    public func finish() throws {
        if state != .epilogue { throw ParseError.malformed("missing closing boundary") }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        let n = needle.count
        guard n > 0, haystack.count >= n else { return nil }
        let first = needle[0]
        return haystack.withUnsafeBufferPointer { h -> Int? in
            var i = 0
            let last = h.count - n
            while i <= last {
                if h[i] == first {
                    var j = 1
                    while j < n, h[i + j] == needle[j] { j += 1 }
                    if j == n { return i }
                }
                i += 1
            }
            return nil
        }
    }

    /// Parses `form-data; name="x"; filename="y"` into (name, filename).
    public static func disposition(_ value: String?) -> (name: String?, filename: String?) {
        guard let value else { return (nil, nil) }
        var name: String?
        var filename: String?
        for param in value.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let key = kv[0].trimmingCharacters(in: .whitespaces).lowercased()
            var v = kv[1].trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            if key == "name" { name = v } else if key == "filename" { filename = v }
        }
        return (name, filename)
    }
}
