import Glibc

/// The names the Fast.io server holds (`facts.md`, filename rules): 1 to 255 characters (the server
/// counts characters, Unicode scalars, not bytes); not `.` or `..`; no `/` or `\`; no control
/// characters (NUL, CR and LF among them); no trailing space, tab or dot; no bidirectional, zero-width
/// or byte-order-mark characters. A name breaking them is refused at the call that makes it (create,
/// mknod, mkdir, rename), never discovered by an upload that can only fail.
///
/// Invariant: `refusal(of:)` is nil exactly for the names the rules allow; over-long names answer
/// ENAMETOOLONG, every other breach EINVAL.
enum ServerNameRules {
    static let maximumLength = 255

    static func refusal(of name: String) -> FSError? {
        let scalars = name.unicodeScalars
        if scalars.isEmpty { return FSError(EINVAL, detail: "an empty name") }
        if scalars.count > maximumLength {
            return FSError(ENAMETOOLONG, detail: "the server holds names of at most \(maximumLength) characters")
        }
        if name == "." || name == ".." { return FSError(EINVAL, detail: "\(name) is not a file name") }
        for scalar in scalars {
            if scalar == "/" || scalar == "\\" { return FSError(EINVAL, detail: "the server refuses / and \\ in names") }
            if isControl(scalar) { return FSError(EINVAL, detail: "the server refuses control characters in names") }
            if isInvisibleFormatting(scalar) {
                return FSError(EINVAL, detail: "the server refuses bidirectional, zero-width and byte-order marks in names")
            }
        }
        if let last = scalars.last, last == " " || last == "\t" || last == "." {
            return FSError(EINVAL, detail: "the server refuses names ending in a space, tab or dot")
        }
        return nil
    }

    /// C0 (NUL, CR and LF among them), DEL and C1.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Bidirectional controls, zero-width characters and the byte-order mark.
    static func isInvisibleFormatting(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }
}
