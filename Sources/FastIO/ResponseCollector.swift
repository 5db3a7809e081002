import CCurlShim
import Foundation

/// Receives one response from libcurl's header and write callbacks, on the thread running
/// `curl_easy_perform`.
///
/// Two modes: `buffered` keeps the body (JSON calls); `ranged` copies a `/read/` body straight into
/// the caller's buffer: a 206 must start at the requested offset, a 200 (server ignored `Range`) is
/// skipped up to the offset, and anything beyond the buffer stops the transfer. Non-2xx bodies are
/// kept for error decoding, never written into the caller's buffer.
/// Invariants: at most `destination.count` bytes are ever written to the destination, from its start;
/// every body has a total cap, and going past it stops the transfer with a `rejection` (an EIO for the
/// caller): a 2xx JSON body `limit` bytes, a non-2xx body `errorBodyLimit` (64 KiB) in both modes, a
/// ranged body the bytes asked for (after the skipped offset of a 200 that ignored `Range`).
final class ResponseCollector {
    enum Mode {
        case buffered(limit: Int)
        case ranged(destination: UnsafeMutableRawBufferPointer, offset: Int64)
    }

    private enum Phase { case undecided, keep, skipThenCopy, copy, errorBody, reject }

    let mode: Mode
    var handle: UnsafeMutableRawPointer?
    private var phase = Phase.undecided
    private(set) var status = 0
    /// Response headers, lowercased names; reset on every status line (100-continue, etc.).
    private(set) var headers: [String: String] = [:]
    /// Buffered body (buffered mode) or a non-2xx error body (both modes).
    private(set) var body = Data()
    /// Bytes written into the destination (ranged mode).
    private(set) var filled = 0
    /// Offset bytes still to discard of a 200 answer.
    private var toSkip: Int64 = 0
    /// True when the server answered 200 to a ranged request.
    private(set) var rangeIgnored = false
    /// True when the callback stopped the transfer because the destination was full (not an error).
    private(set) var stoppedWhenFull = false
    /// Set when the answer could not be used (oversized body, wrong Content-Range).
    private(set) var rejection: String?

    static let errorBodyLimit = 64 * 1024

    /// Ranged mode: called with `filled` after every chunk copied into the destination.
    var onCopied: ((Int) -> Void)?

    init(mode: Mode) { self.mode = mode }

    /// Called with each chunk of body bytes; returns how many were consumed (fewer aborts).
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if phase == .undecided { decidePhase() }
        switch phase {
        case .undecided, .reject:
            return 0
        case .keep:
            guard body.count + bytes.count <= keepLimit else {
                rejection = "response body over \(Self.describe(bytes: keepLimit))"
                phase = .reject
                return 0
            }
            body.append(contentsOf: bytes)
            return bytes.count
        case .errorBody:
            guard body.count + bytes.count <= Self.errorBodyLimit else {
                rejection = "error answer (HTTP \(status)) with a body over 64 KiB"
                phase = .reject
                return 0
            }
            body.append(contentsOf: bytes)
            return bytes.count
        case .skipThenCopy:
            var remaining = bytes
            if toSkip > 0 {
                let skip = Int(min(Int64(remaining.count), toSkip))
                toSkip -= Int64(skip)
                remaining = UnsafeRawBufferPointer(rebasing: remaining[skip...])
                if toSkip > 0 { return bytes.count }
            }
            let consumed = copyIntoDestination(remaining)
            return consumed == remaining.count ? bytes.count : 0
        case .copy:
            let consumed = copyIntoDestination(bytes)
            return consumed == bytes.count ? bytes.count : 0
        }
    }

    /// The cap of a kept (2xx, buffered) body.
    private var keepLimit: Int {
        if case .buffered(let limit) = mode { return limit }
        return 0
    }

    /// Called with one header line (`Name: value\r\n` or a status line).
    func receiveHeader(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            headers.removeAll(keepingCapacity: true)
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].lowercased()
        let value = String(text[text.index(after: colon)...]).trimmingWhitespace()
        headers[name] = value
    }

    /// Reads the final status after the transfer when no body arrived.
    func finish() {
        if status == 0, let handle {
            var code = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
    }

    private func decidePhase() {
        finish()
        switch mode {
        case .buffered:
            phase = (200..<300).contains(status) ? .keep : .errorBody
        case .ranged(_, let offset):
            switch status {
            case 206:
                if let start = Self.contentRangeStart(headers["content-range"]), start != offset {
                    rejection = "server answered range starting at \(start), asked for \(offset)"
                    phase = .reject
                } else {
                    phase = .copy
                }
            case 200:
                rangeIgnored = true
                toSkip = offset
                phase = .skipThenCopy
            default:
                phase = .errorBody
            }
        }
    }

    private func copyIntoDestination(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard case .ranged(let destination, _) = mode else { return 0 }
        let take = min(bytes.count, destination.count - filled)
        if take > 0, let target = destination.baseAddress, let source = bytes.baseAddress {
            (target + filled).copyMemory(from: source, byteCount: take)
            filled += take
            onCopied?(filled)
        }
        if take < bytes.count { stoppedWhenFull = true }
        return take
    }

    /// `67108864` -> `64 MiB`, for messages.
    static func describe(bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : (bytes % 1024 == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes")
    }

    /// `bytes 100-199/1000` -> 100.
    static func contentRangeStart(_ value: String?) -> Int64? {
        guard let value, let space = value.firstIndex(of: " ") else { return nil }
        let spec = value[value.index(after: space)...]
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        return Int64(spec[..<dash])
    }

    /// `bytes 100-199/1000` -> 1000 (nil for `*` or absent).
    static func contentRangeTotal(_ value: String?) -> Int64? {
        guard let value, let slash = value.lastIndex(of: "/") else { return nil }
        return Int64(String(value[value.index(after: slash)...]).trimmingWhitespace())
    }
}
