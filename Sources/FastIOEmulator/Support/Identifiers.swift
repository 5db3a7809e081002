import Foundation

/// Fast.io identifier formats: 19-digit profile ids and 29-character OpaqueIds
/// (type char + 26 time-ordered base36 chars + 2 check chars), shown hyphenated every 5 chars.
enum Identifiers {
    static let base36 = Array("0123456789abcdefghijklmnopqrstuvwxyz")

    /// A random 19-digit numeric profile id whose first digit is non-zero.
    static func profileId() -> String {
        var s = String(Int.random(in: 1...9))
        for _ in 0..<18 { s += String(Int.random(in: 0...9)) }
        return s
    }

    /// A new canonical (un-hyphenated, lowercase) OpaqueId of the given 1-char type.
    static func opaque(_ type: Character) -> String {
        var body = ""
        var t = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        var timePart: [Character] = []
        for _ in 0..<10 { timePart.append(base36[Int(t % 36)]); t /= 36 }
        body += String(timePart.reversed())
        for _ in 0..<16 { body.append(base36[Int.random(in: 0..<36)]) }
        let full = String(type) + body
        return full + check(full)
    }

    /// Two base36 check characters derived from a simple checksum of the body.
    static func check(_ s: String) -> String {
        var sum: UInt32 = 0
        for b in s.utf8 { sum = (sum &* 31 &+ UInt32(b)) % 1296 }
        return String([base36[Int(sum / 36)], base36[Int(sum % 36)]])
    }

    /// The display form: a hyphen every 5 characters.
    static func display(_ canonical: String) -> String {
        if canonical == "root" || canonical == "trash" { return canonical }
        var out: [UInt8] = []
        out.reserveCapacity(36)
        var i = 0
        for b in canonical.utf8 {
            if i > 0, i % 5 == 0 { out.append(UInt8(ascii: "-")) }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Canonicalizes an input id (hyphens removed, lowercase); nil when it is not a well-formed OpaqueId.
    static func canonical(_ input: String) -> String? {
        let lowered = input.lowercased()
        if lowered == "root" || lowered == "trash" { return lowered }
        let stripped = lowered.replacingOccurrences(of: "-", with: "")
        guard (29...30).contains(stripped.count), stripped.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else { return nil }
        return stripped
    }

    static func isProfileId(_ s: String) -> Bool {
        s.count >= 10 && s.count <= 20 && s.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
