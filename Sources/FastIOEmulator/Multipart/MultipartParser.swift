import Foundation

/// Incremental multipart/form-data parser: feed it body buffers as they arrive and it emits part
/// boundaries, part headers and body bytes without ever holding a whole part in memory.
/// Invariant: bytes not yet emitted (`pending[consumed...]`) are only the possible prefix of a
/// delimiter (or an incomplete header block); each fed byte is copied once, into `pending`.
public struct MultipartParser: Sendable {
    public enum Event: Equatable, Sendable {
        /// A new part begins; header names are lowercased.
        case partBegin([String: String])
        case data([UInt8])
        case partEnd
    }

    /// What `feed(_:_:)` hands out: body bytes are a view valid only during the call.
    public enum Piece {
        case partBegin([String: String])
        case data(UnsafeRawBufferPointer)
        case partEnd
    }

    public enum ParseError: Error, Equatable { case malformed(String) }

    private enum State { case preamble, headers, body, afterDelimiter, epilogue }

    private let delimiter: [UInt8]  // "\r\n--" + boundary
    private var pending: [UInt8] = [0x0D, 0x0A]  // virtual CRLF so the first boundary matches the delimiter
    /// Bytes at the front of `pending` already parsed (dropped when the next buffer arrives).
    private var consumed = 0
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

    /// Parses `bytes` and returns what they completed (body bytes copied into arrays: for tests and
    /// small bodies; uploads use `feed(_:_:)`).
    public mutating func feed(_ bytes: [UInt8]) throws -> [Event] {
        var events: [Event] = []
        try bytes.withUnsafeBytes { raw in
            try feed(raw) { piece in
                switch piece {
                case .partBegin(let headers): events.append(.partBegin(headers))
                case .data(let view): events.append(.data(Array(view)))
                case .partEnd: events.append(.partEnd)
                }
            }
        }
        return events
    }

    /// Parses `bytes`, handing each completed piece to `handle` in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Piece) throws -> Void) throws {
        if state == .epilogue { return }
        if consumed > 0 {
            pending.removeFirst(consumed)
            consumed = 0
        }
        pending.append(contentsOf: bytes)
        let delimiter = self.delimiter
        var state = self.state
        var consumed = self.consumed
        defer {
            self.state = state
            self.consumed = consumed
        }
        try pending.withUnsafeBytes { buffer in
            while true {
                let rest = UnsafeRawBufferPointer(rebasing: buffer[consumed...])
                switch state {
                case .preamble, .body:
                    if let at = Self.find(delimiter, in: rest) {
                        if state == .body {
                            if at > 0 { try handle(.data(UnsafeRawBufferPointer(rebasing: rest[0..<at]))) }
                            try handle(.partEnd)
                        }
                        consumed += at + delimiter.count
                        state = .afterDelimiter
                        continue
                    }
                    let emit = rest.count - min(rest.count, delimiter.count - 1)
                    if emit > 0 {
                        if state == .body { try handle(.data(UnsafeRawBufferPointer(rebasing: rest[0..<emit]))) }
                        consumed += emit
                    }
                    return
                case .afterDelimiter:
                    guard rest.count >= 2 else { return }
                    if rest[0] == UInt8(ascii: "-"), rest[1] == UInt8(ascii: "-") {
                        state = .epilogue
                        consumed = buffer.count
                        return
                    }
                    // Transport padding then CRLF.
                    let crlf = [UInt8]([0x0D, 0x0A])
                    guard let lineEnd = try Self.find(crlf, in: rest, startingWithin: Self.paddingLimit, orThrow: "bad delimiter line") else {
                        return
                    }
                    consumed += lineEnd + 2
                    state = .headers
                    continue
                case .headers:
                    let blankLine = [UInt8]([0x0D, 0x0A, 0x0D, 0x0A])
                    guard let end = try Self.find(blankLine, in: rest, startingWithin: Self.headerBlockLimit, orThrow: "part headers too long") else {
                        return
                    }
                    let block = String(decoding: rest[0..<end], as: UTF8.self)
                    consumed += end + 4
                    var headers: [String: String] = [:]
                    for line in block.split(separator: "\r\n") {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                    try handle(.partBegin(headers))
                    state = .body
                case .epilogue:
                    consumed = buffer.count
                    return
                }
            }
        }
    }

    /// Call at end of body: throws unless the closing delimiter was seen.
    public func finish() throws {
        if state != .epilogue { throw ParseError.malformed("missing closing boundary") }
    }

    /// Most bytes of transport padding after a delimiter before its CRLF.
    static let paddingLimit = 1024
    /// Most bytes of one part's header block before its blank line.
    static let headerBlockLimit = 16 * 1024

    /// The first index of `needle` in `haystack` if it starts within the first `limit` bytes; nil
    /// while more bytes could still bring it; throws `malformed(message)` once they cannot. Looking
    /// only that far makes the outcome independent of how the body was cut into buffers.
    private static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer, startingWithin limit: Int, orThrow message: String) throws -> Int? {
        let window = UnsafeRawBufferPointer(rebasing: haystack[0..<min(haystack.count, limit + needle.count)])
        if let at = find(needle, in: window) { return at }
        if window.count >= limit + needle.count { throw ParseError.malformed(message) }
        return nil
    }

    /// The first index of `needle` in `haystack` (memchr for its first byte, then memcmp).
    private static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        let n = needle.count
        guard n > 0, haystack.count >= n, let base = haystack.baseAddress else { return nil }
        return needle.withUnsafeBytes { pattern -> Int? in
            var from = 0
            let last = haystack.count - n
            while from <= last {
                guard let hit = memchr(base + from, Int32(pattern[0]), last - from + 1) else { return nil }
                let index = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(hit, pattern.baseAddress!, n) == 0 { return index }
                from = index + 1
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
