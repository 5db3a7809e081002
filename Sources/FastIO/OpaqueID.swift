/// The canonical spelling of Fast.io OpaqueIds (node, version, upload ids).
///
/// The API shows ids in a display form with a hyphen every five characters and accepts either form,
/// case-insensitively. Invariant: `canonical` is idempotent, lowercases, and removes hyphens and
/// surrounding whitespace; literal path ids (`root`, `trash`) and numeric profile ids pass unchanged.
public enum OpaqueID {
    /// `"26N2I-xygnf-vorvt-lhy3w-5laen-oybp"` -> `"26n2ixygnfvorvtlhy3w5laenoybp"`.
    public static func canonical(_ raw: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                bytes.append(byte + 32)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True for a well-formed OpaqueId in either form (server rule `^[a-z0-9]{29,30}$` after
    /// canonicalization).
    public static func isWellFormed(_ raw: String) -> Bool {
        let id = canonical(raw)
        guard (29...30).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
