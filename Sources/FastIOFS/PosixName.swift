/// The reversible mapping between server names (any non-empty string) and POSIX names.
///
/// The scheme, per character of the server name:
/// - `/` (forbidden in POSIX names) becomes `／` (U+FF0F FULLWIDTH SOLIDUS);
/// - NUL (forbidden) becomes `␀` (U+2400 SYMBOL FOR NULL);
/// - a literal `／`, `␀` or `‛` (U+201B, the escape mark) is written with a `‛` before it;
/// and for the whole name:
/// - the server names `.` and `..` (reserved in POSIX) become `．` and `．．` (U+FF0E per dot);
/// - a server name made only of `．` characters gets a `‛` before each `．`, so it cannot be
///   mistaken for an escaped `.`/`..`.
///
/// Invariant: `decode(encode(s)) == s` for every non-empty `s`, and `decode(p)` is non-nil only for
/// names `encode` can produce (so the mapping is a bijection onto the valid POSIX names). A POSIX
/// name that `decode` rejects cannot name a server node (lookup answers ENOENT).
public enum PosixName {
    static let escapeMark: Character = "\u{201B}"
    static let fullwidthSolidus: Character = "\u{FF0F}"
    static let nullSymbol: Character = "\u{2400}"
    static let fullwidthDot: Character = "\u{FF0E}"

    /// The POSIX name for server name `serverName`.
    public static func encode(_ serverName: String) -> String {
        if serverName == "." { return String(fullwidthDot) }
        if serverName == ".." { return String(repeating: fullwidthDot, count: 2) }
        if isOnlyFullwidthDots(serverName) {
            return serverName.map { "\(escapeMark)\($0)" }.joined()
        }
        var out = ""
        out.reserveCapacity(serverName.utf8.count)
        for scalar in serverName.unicodeScalars {
            switch scalar {
            case "/": out.append(fullwidthSolidus)
            case "\u{0}": out.append(nullSymbol)
            case "\u{FF0F}", "\u{2400}", "\u{201B}":
                out.append(escapeMark)
                out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The server name `posixName` stands for, or nil when no server name encodes to it.
    public static func decode(_ posixName: String) -> String? {
        guard !posixName.isEmpty else { return nil }
        if posixName == String(fullwidthDot) { return "." }
        if posixName == String(repeating: fullwidthDot, count: 2) { return ".." }
        var out = ""
        var escaped = false
        for scalar in posixName.unicodeScalars {
            if escaped {
                guard ["\u{FF0F}", "\u{2400}", "\u{201B}", "\u{FF0E}"].contains(scalar) else { return nil }
                out.unicodeScalars.append(scalar)
                escaped = false
                continue
            }
            switch scalar {
            case "\u{201B}": escaped = true
            case "\u{FF0F}": out.unicodeScalars.append("/")
            case "\u{2400}": out.unicodeScalars.append("\u{0}")
            default: out.unicodeScalars.append(scalar)
            }
        }
        guard !escaped, !out.isEmpty, encode(out) == posixName else { return nil }
        return out
    }

    private static func isOnlyFullwidthDots(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0 == "\u{FF0E}" }
    }
}
