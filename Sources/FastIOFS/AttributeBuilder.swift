import Foundation

/// Turns node metadata into `FileAttributes` under the mount's ownership and permission policy.
///
/// Invariant: files 0644, directories 0755 (0444/0555 on read-only mounts, for the synthetic layout
/// directories, where nothing can be created, and where the user's role allows no change: `writable`
/// false, see `FastIOFileSystem.showsWritable`), symlinks 0777; the umask is applied to files
/// and directories; nlink is 1 for files and symlinks, 2 for directories; atime = mtime = ctime.
struct AttributeBuilder: Sendable {
    let uid: UInt32
    let gid: UInt32
    let umask: UInt32
    let readOnly: Bool

    init(configuration: MountConfiguration) {
        uid = configuration.uid
        gid = configuration.gid
        umask = configuration.umask
        readOnly = configuration.readOnly
    }

    func attributes(ino: UInt64, metadata: NodeMetadata, writable: Bool = true, symlinkLength: Int = 0) -> FileAttributes {
        let canWrite = writable && !readOnly
        let mode: UInt32
        let size: UInt64
        switch metadata.kind {
        case .directory:
            mode = UInt32(S_IFDIR) | ((canWrite ? 0o755 : 0o555) & ~umask)
            size = 4096
        case .file:
            mode = UInt32(S_IFREG) | ((canWrite ? 0o644 : 0o444) & ~umask)
            size = UInt64(max(0, metadata.size))
        case .symlink:
            mode = UInt32(S_IFLNK) | 0o777
            size = UInt64(symlinkLength)
        }
        return FileAttributes(ino: ino, size: size, mode: mode, nlink: metadata.kind == .directory ? 2 : 1,
                              uid: uid, gid: gid, atime: metadata.mtime, mtime: metadata.mtime, ctime: metadata.mtime)
    }
}
