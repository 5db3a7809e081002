import Foundation

/// Microsecond wall-clock timestamps and the wire formats the API uses for them.
enum Timestamps {
    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    /// `Y-m-d H:i:s` for whole seconds (proleptic Gregorian, UTC) and the microsecond remainder.
    private static func components(_ micros: Int64) -> (String, Int64) {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let frac = micros - seconds * 1_000_000
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secOfDay = seconds - days * 86_400
        // Civil-from-days (Howard Hinnant).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var out: [UInt8] = []
        out.reserveCapacity(19)
        func put(_ v: Int64, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var x = v
            var i = width - 1
            while i >= 0 { digits[i] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10; i -= 1 }
            out.append(contentsOf: digits)
        }
        put(year, 4); out.append(UInt8(ascii: "-")); put(month, 2); out.append(UInt8(ascii: "-")); put(day, 2)
        out.append(UInt8(ascii: " "))
        put(secOfDay / 3600, 2); out.append(UInt8(ascii: ":")); put(secOfDay / 60 % 60, 2); out.append(UInt8(ascii: ":")); put(secOfDay % 60, 2)
        return (String(decoding: out, as: UTF8.self), frac)
    }

    private static func sixDigits(_ v: Int64) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }

    /// `2026-05-18 19:26:25 UTC`
    static func plain(_ micros: Int64) -> String { components(micros).0 + " UTC" }

    /// `2026-07-23 19:29:17.959200 UTC`
    static func micro(_ micros: Int64) -> String {
        let (s, frac) = components(micros)
        return s + "." + sixDigits(frac) + " UTC"
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
    private let last: Locked<Int64>

    init(floor: Int64) { last = Locked(floor) }

    func next() -> Int64 {
        last.withLock { value in
            let now = Timestamps.nowMicros()
            value = max(now, value + 1)
            return value
        }
    }

    var current: Int64 { last.withLock { max($0, Timestamps.nowMicros()) } }
}
