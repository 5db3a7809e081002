import Foundation
import Synchronization

/// Microsecond wall-clock timestamps and the wire formats the API uses for them.
enum Timestamps {
    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    private static func components(_ micros: Int64) -> (String, Int64) {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        var t = time_t(seconds)
        var tmValue = tm()
        gmtime_r(&t, &tmValue)
        let s = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", Int(tmValue.tm_year) + 1900, Int(tmValue.tm_mon) + 1,
            Int(tmValue.tm_mday), Int(tmValue.tm_hour), Int(tmValue.tm_min), Int(tmValue.tm_sec))
        return (s, micros - seconds * 1_000_000)
    }

    /// `2026-05-18 19:26:25 UTC`
    static func plain(_ micros: Int64) -> String { components(micros).0 + " UTC" }

    /// `2026-07-23 19:29:17.959200 UTC`
    static func micro(_ micros: Int64) -> String {
        let (s, frac) = components(micros)
        return s + "." + String(format: "%06d", Int(frac)) + " UTC"
    }

    /// `2025-01-28T10:00:00+00:00`
    static func iso(_ micros: Int64) -> String {
        components(micros).0.replacingOccurrences(of: " ", with: "T") + "+00:00"
    }

    /// Parses `Y-m-d H:i:s[.ffffff][ UTC]` or ISO 8601 (`T`, optional `Z`/`+00:00`) into microseconds.
    static func parse(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: .whitespaces)
        for suffix in [" UTC", "Z", "+00:00", "+0000"] where s.hasSuffix(suffix) {
            s = String(s.dropLast(suffix.count))
        }
        s = s.replacingOccurrences(of: "T", with: " ")
        let parts = s.split(separator: " ")
        guard parts.count >= 1 else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        guard date.count == 3 else { return nil }
        var hms: [Int] = [0, 0, 0]
        var micros: Int64 = 0
        if parts.count >= 2 {
            let timeAndFrac = parts[1].split(separator: ".", maxSplits: 1)
            let t = timeAndFrac[0].split(separator: ":").compactMap { Int($0) }
            guard t.count == 3 else { return nil }
            hms = t
            if timeAndFrac.count == 2 {
                var frac = String(timeAndFrac[1].prefix(6))
                while frac.count < 6 { frac += "0" }
                guard let f = Int64(frac) else { return nil }
                micros = f
            }
        }
        var tmValue = tm()
        tmValue.tm_year = Int32(date[0] - 1900)
        tmValue.tm_mon = Int32(date[1] - 1)
        tmValue.tm_mday = Int32(date[2])
        tmValue.tm_hour = Int32(hms[0])
        tmValue.tm_min = Int32(hms[1])
        tmValue.tm_sec = Int32(hms[2])
        let seconds = timegm(&tmValue)
        return Int64(seconds) * 1_000_000 + micros
    }
}

/// Hands out strictly increasing microsecond timestamps (unique per server, never below wall clock).
final class MonotonicClock: Sendable {
    private let last: Mutex<Int64>

    init(floor: Int64) { last = Mutex(floor) }

    func next() -> Int64 {
        last.withLock { value in
            let now = Timestamps.nowMicros()
            value = max(now, value + 1)
            return value
        }
    }

    var current: Int64 { last.withLock { max($0, Timestamps.nowMicros()) } }
}
