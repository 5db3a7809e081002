import Foundation

/// Parses the timestamp spellings the Fast.io API uses, without `DateFormatter` (slow, locale-bound).
///
/// Accepted: `2026-05-18 19:26:25 UTC` (real nodes), `2026-07-23 19:29:17.959200 UTC` (activity),
/// `2025-01-15T10:30:00Z` and `2025-01-28T10:00:00+00:00` (docs), `2023-01-15 10:30:00` (no zone:
/// UTC), and Unix epoch seconds as a number or digit string. Invariants: returns nil rather than a
/// wrong date for anything else; every date returned lies within `earliest...latest` (a time outside
/// is clamped to the nearer bound, and `read` says so), so no later conversion can overflow.
public enum APITimestamp {
    /// 0001-01-01T00:00:00Z, the earliest time taken from the server.
    public static let earliest = Date(timeIntervalSince1970: earliestSeconds)
    /// 9999-12-31T23:59:59Z, the latest time taken from the server.
    public static let latest = Date(timeIntervalSince1970: latestSeconds)
    static let earliestSeconds = -62_135_596_800.0
    static let latestSeconds = 253_402_300_799.0

    /// What one timestamp field of an answer held.
    public enum Reading: Sendable, Equatable {
        /// Missing, null or an empty string.
        case absent
        /// Not a timestamp (the value, as a log shows it).
        case unreadable(String)
        case valid(Date)
        /// Outside `earliest...latest`: the nearer bound, and the value as sent.
        case clamped(Date, from: String)

        /// The date to use: valid or clamped.
        public var date: Date? {
            switch self {
            case .valid(let date), .clamped(let date, _): return date
            case .absent, .unreadable: return nil
            }
        }
    }

    public static func read(_ value: JSONValue?) -> Reading {
        switch value {
        case nil, .null?:
            return .absent
        case .string(let text)? where text.isEmpty:
            return .absent
        case .string(let text)?:
            return checked(seconds(text), value!)
        case .number(let text)?:
            return checked(Double(text), value!)
        case let other?:
            return .unreadable(NodeDecoding.describe(other))
        }
    }

    public static func parse(_ value: JSONValue?) -> Date? { read(value).date }

    public static func parse(_ text: String) -> Date? { checked(seconds(text), .string(text)).date }

    /// `seconds` since the epoch as a reading: non-finite is unreadable, out of range is clamped.
    private static func checked(_ seconds: Double?, _ value: JSONValue) -> Reading {
        guard let seconds, seconds.isFinite else { return .unreadable(NodeDecoding.describe(value)) }
        if seconds < earliestSeconds { return .clamped(earliest, from: NodeDecoding.describe(value)) }
        if seconds > latestSeconds { return .clamped(latest, from: NodeDecoding.describe(value)) }
        return .valid(Date(timeIntervalSince1970: seconds))
    }

    /// Seconds since the epoch of `text`, unchecked; nil when it is no timestamp.
    private static func seconds(_ text: String) -> Double? {
        let s = Array(text.utf8)
        if !s.isEmpty, s.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) {
            return Double(text)
        }
        var i = 0
        guard let year = digits(s, &i, 4), expect(s, &i, "-"), let month = digits(s, &i, 2), expect(s, &i, "-"),
              let day = digits(s, &i, 2) else { return nil }
        guard i < s.count, s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: " ") || s[i] == UInt8(ascii: "t")
        else { return i == s.count ? make(year, month, day, 0, 0, 0, 0, 0) : nil }
        i += 1
        guard let hour = digits(s, &i, 2), expect(s, &i, ":"), let minute = digits(s, &i, 2), expect(s, &i, ":"),
              let second = digits(s, &i, 2) else { return nil }
        var fraction = 0.0
        if i < s.count, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",") {
            i += 1
            var scale = 0.1
            let start = i
            while i < s.count, isDigit(s[i]) { fraction += Double(s[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        while i < s.count, s[i] == UInt8(ascii: " ") { i += 1 }
        var offsetSeconds = 0
        if i < s.count {
            let rest = String(decoding: s[i...], as: UTF8.self)
            switch rest {
            case "Z", "z", "UTC", "GMT", "+00:00", "-00:00", "+0000": offsetSeconds = 0
            default:
                guard s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") else { return nil }
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(s, &i, 2) else { return nil }
                _ = expect(s, &i, ":")
                guard let om = digits(s, &i, 2), i == s.count else { return nil }
                offsetSeconds = sign * (oh * 3600 + om * 60)
            }
        }
        return make(year, month, day, hour, minute, second, fraction, offsetSeconds)
    }

    private static func make(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ frac: Double,
                             _ offset: Int) -> Double? {
        guard (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi),
              (0...60).contains(s) else { return nil }
        let days = daysFromCivil(y, mo, d)
        return Double(days * 86_400 + h * 3600 + mi * 60 + s - offset) + frac
    }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    private static func digits(_ s: [UInt8], _ i: inout Int, _ count: Int) -> Int? {
        guard i + count <= s.count else { return nil }
        var value = 0
        for k in i..<(i + count) {
            guard isDigit(s[k]) else { return nil }
            value = value * 10 + Int(s[k] - 48)
        }
        i += count
        return value
    }

    private static func expect(_ s: [UInt8], _ i: inout Int, _ c: Unicode.Scalar) -> Bool {
        guard i < s.count, s[i] == UInt8(ascii: c) else { return false }
        i += 1
        return true
    }
}
