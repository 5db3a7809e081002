/// How to answer getxattr/listxattr for a value of a given length (the kernel's size-probing protocol).
///
/// Invariant (fuse_lowlevel.h): `size == 0` is a probe answered with `fuse_reply_xattr(length)`;
/// otherwise a value that does not fit is `ERANGE`, and a value that fits is sent with `fuse_reply_buf`.
public enum XattrReplyPlan: Equatable, Sendable {
    case reportSize(Int)
    case sendValue
    case rangeError

    public init(valueLength: Int, requestedSize: Int) {
        if requestedSize == 0 {
            self = .reportSize(valueLength)
        } else if valueLength > requestedSize {
            self = .rangeError
        } else {
            self = .sendValue
        }
    }

    /// listxattr's wire format: each name followed by a NUL.
    public static func nameList(_ names: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for name in names {
            bytes.append(contentsOf: name.utf8)
            bytes.append(0)
        }
        return bytes
    }
}
