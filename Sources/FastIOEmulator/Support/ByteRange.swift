import Foundation

/// HTTP Range parsing (single range: `a-b`, `a-`, `-n`) and Content-Disposition formatting.
///
/// Invariant: for `size >= 0`, a `.range(r)` answer lies inside the file: `0 <= r.lowerBound <=
/// r.upperBound < size` (scripts/fuzz.sh byte-range checks it on any header).
public enum ByteRange {
    public enum Result: Equatable, Sendable { case none, unsatisfiable, range(ClosedRange<Int64>) }

    public static func parse(_ header: String, size: Int64) -> Result {
        let h = header.trimmingCharacters(in: .whitespaces)
        guard h.lowercased().hasPrefix("bytes=") else { return .none }
        let spec = h.dropFirst(6)
        if spec.contains(",") { return .none }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .none }
        let a = parts[0].trimmingCharacters(in: .whitespaces)
        let b = parts[1].trimmingCharacters(in: .whitespaces)
        if a.isEmpty {
            guard let n = Int64(b) else { return .none }
            if n <= 0 { return .unsatisfiable }
            if size == 0 { return .unsatisfiable }
            return .range(max(0, size - n)...(size - 1))
        }
        guard let start = Int64(a) else { return .none }
        if start >= size { return .unsatisfiable }
        if b.isEmpty { return .range(start...(size - 1)) }
        guard let end = Int64(b), end >= start else { return .none }
        return .range(start...min(end, size - 1))
    }

    public static func disposition(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
