/// The `-o` options of `fastiofs mount`, split into what fastiofs interprets and what goes to libfuse.
///
/// Invariant: `ro`/`rw`, `allow_other`, `uid=N`, `gid=N`, `umask=OCTAL`, `nonempty` and `direct_io` are
/// consumed here; every other option is kept, in order, in `passthrough` for libfuse.
public struct MountOptionList: Sendable, Equatable {
    public var readOnly = false
    public var allowOther = false
    public var uid: UInt32?
    public var gid: UInt32?
    public var umask: UInt32?
    /// Mount over a directory that is not empty (refused by default).
    public var allowNonEmpty = false
    /// File reads bypass the kernel page cache (`direct_io`, as in sshfs and libfuse's high-level API).
    public var directIO = false
    public var passthrough: [String] = []

    public init() {}

    /// Parses each `-o` value (comma-separated; `-o` may repeat). Later options win.
    public init(parsing values: [String]) throws(MountOptionError) {
        for value in values {
            for option in value.split(separator: ",", omittingEmptySubsequences: true) {
                try apply(String(option))
            }
        }
    }

    private mutating func apply(_ option: String) throws(MountOptionError) {
        let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0])
        let value = parts.count > 1 ? String(parts[1]) : nil
        switch (key, value) {
        case ("ro", nil): readOnly = true
        case ("rw", nil): readOnly = false
        case ("allow_other", nil): allowOther = true
        case ("nonempty", nil): allowNonEmpty = true
        case ("direct_io", nil): directIO = true
        case ("uid", let v?):
            guard let id = UInt32(v) else { throw .invalidValue(option: key, value: v) }
            uid = id
        case ("gid", let v?):
            guard let id = UInt32(v) else { throw .invalidValue(option: key, value: v) }
            gid = id
        case ("umask", let v?):
            guard let mask = UInt32(v, radix: 8), mask <= 0o777 else { throw .invalidValue(option: key, value: v) }
            umask = mask
        case ("uid", nil), ("gid", nil), ("umask", nil):
            throw .missingValue(option: key)
        default:
            passthrough.append(option)
        }
    }
}

public enum MountOptionError: Error, Equatable, CustomStringConvertible {
    case invalidValue(option: String, value: String)
    case missingValue(option: String)

    public var description: String {
        switch self {
        case .invalidValue(let option, let value):
            option == "umask" ? "invalid -o umask=\(value): expected an octal mask such as 022"
                : "invalid -o \(option)=\(value): expected a non-negative number"
        case .missingValue(let option): "-o \(option) needs a value (\(option)=...)"
        }
    }
}
