import FastIO
import Foundation

/// libFuzzer target `rate-limit`: any header block (`name: value` lines) as a 429's rate-limit
/// headers. Invariant: parsing and the wait computed from it never trap, and a wait is never
/// negative or NaN.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRateLimit(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    var headers: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) {
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { continue }
        headers[parts[0].lowercased()] = String(parts[1])
    }
    let limits = RateLimitHeaders(headers: headers)
    if let wait = limits.secondsUntilReset(now: 1_800_000_000) {
        precondition(!wait.isNaN && wait >= 0, "wait \(wait) from \(headers)")
    }
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzRateLimit_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzRateLimit_main")
public func fuzzRateLimitMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzRateLimit)
}
