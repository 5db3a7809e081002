import Glibc

/// A directory only the mounting user can change: the cache directory and the write path's spool and
/// journal under it, whose contents fastiofs trusts (a journal record names bytes to upload with the
/// user's token).
///
/// Invariant: `prepare` returns only for a path that resolves to a directory owned by the effective
/// user and writable by neither group nor others; what it creates (missing parents included) is made
/// mode 0700 whatever the umask. It never changes an existing directory's owner or mode: a directory
/// that fails the check is refused with a message naming the fix.
public enum PrivateDirectory {
    /// Why a directory cannot be trusted or made.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Creates `path` (an absolute path) and its missing parents mode 0700, then checks it.
    public static func prepare(_ path: String) throws(Refusal) {
        try create(path)
        try check(path)
    }

    /// Refuses a `path` that is not a directory of the effective user closed to group and others' writes.
    public static func check(_ path: String) throws(Refusal) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw Refusal("cannot use the directory \(path): \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw Refusal("\(path) is not a directory") }
        let user = geteuid()
        guard st.st_uid == user else {
            throw Refusal("the directory \(path) is owned by uid \(st.st_uid), not by this user (uid \(user)); "
                          + "its contents could be changed by someone else. Use a directory of your own "
                          + "(--cache-dir), or make it yours: chown \(user) \(path) && chmod 700 \(path)")
        }
        let mode = st.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw Refusal("the directory \(path) is writable by \(mode & 0o020 != 0 ? "its group" : "others") "
                          + "(mode \(String(mode, radix: 8))); someone else could plant files there. "
                          + "Fix it with: chmod 700 \(path)")
        }
    }

    /// mkdir -p with mode 0700 for every directory made here.
    private static func create(_ path: String) throws(Refusal) {
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) == 0 {
                // The umask may have taken bits away; 0700 is the mode asked for.
                guard chmod(prefix, 0o700) == 0 else {
                    throw Refusal("cannot set the mode of \(prefix): \(String(cString: strerror(errno)))")
                }
            } else if errno != EEXIST {
                throw Refusal("cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
