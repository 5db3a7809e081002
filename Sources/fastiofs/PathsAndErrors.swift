import Foundation

/// A user-facing failure: printed as `fastiofs: <message>`, exit status 1. Never contains a token.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Lexical absolute paths: resolved against the working directory without touching the filesystem,
/// because stat on a stale FUSE mountpoint fails (ENOTCONN) or may hang.
enum AbsolutePath {
    static func make(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// Where logs (and later the upload spool) live when --cache-dir is not given.
enum CacheDirectory {
    static func `default`(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/fastiofs" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/fastiofs"
    }
}

/// Sizes on the command line: a byte count, optionally with K, M, G or T (powers of 1024).
enum ByteSize {
    static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(trimmed)
        var multiplier: Int64 = 1
        if digits.last == "B" { digits = digits.dropLast() }
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
