import FastIOFS

/// The cache directory's check, made by every way of mounting (foreground, the daemon launcher and
/// the daemon it starts, the mount(8)/systemd helper, which ends in one of these) before anything is
/// read from or written to it: it holds spooled file contents, the journal of uploads to resume
/// with the user's token, and the log.
///
/// Invariant: a mount goes on only with a cache directory owned by the mounting user and writable by
/// neither group nor others; one it creates (parents included) is mode 0700. A refusal names the fix.
enum CacheDirectoryPreflight {
    static func prepare(_ path: String) throws(CommandFailure) {
        do {
            try PrivateDirectory.prepare(path)
        } catch {
            throw CommandFailure("refusing the cache directory: \(error)")
        }
    }
}
