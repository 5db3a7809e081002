import CFuseShim
import Glibc

/// Reads one extended attribute of a path (the `fastiofs status`/`unmount` commands read the mount
/// root's `user.fastio.status`). Lives here because only CFuseShim exports <sys/xattr.h> to Swift.
///
/// Invariant: answers the attribute's bytes, or nil with no partial value.
public enum ExtendedAttributeReader {
    public static func read(path: String, name: String) -> [UInt8]? {
        let size = getxattr(path, name, nil, 0)
        guard size >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: size + 4096)
        let count = buffer.withUnsafeMutableBytes { getxattr(path, name, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return Array(buffer.prefix(count))
    }
}
