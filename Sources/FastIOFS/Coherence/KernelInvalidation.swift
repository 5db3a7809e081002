/// One kernel-side invalidation the core wants sent (see `KernelNotifier`).
///
/// Invariant: values are plain data (inode numbers and names), so they can be queued, deduplicated
/// and sent later by a thread that holds no lock an operation needs.
public enum KernelInvalidation: Sendable, Hashable, CustomStringConvertible {
    /// Drop the inode's cached attributes and all its cached pages.
    case inode(UInt64)
    /// Drop only the inode's cached attributes (its mode changed; its pages are still right).
    case attributes(UInt64)
    /// Drop the dentry `parent`/`name` (also kills a negative dentry for a name that now exists).
    case entry(parent: UInt64, name: String)
    /// `parent`/`name`, which was `child`, is gone.
    case delete(parent: UInt64, child: UInt64, name: String)

    public var description: String {
        switch self {
        case .inode(let ino): "inval_inode \(ino)"
        case .attributes(let ino): "inval_inode \(ino) (attributes)"
        case .entry(let parent, let name): "inval_entry \(parent)/\(name)"
        case .delete(let parent, let child, let name): "notify_delete \(parent)/\(name) (\(child))"
        }
    }

    /// Which of the four notifications this is (the `kind` of the invalidation metric).
    public enum Kind: String, Sendable, CaseIterable {
        case inode, attributes, entry, delete
    }

    public var kind: Kind {
        switch self {
        case .inode: .inode
        case .attributes: .attributes
        case .entry: .entry
        case .delete: .delete
        }
    }

    func send(to notifier: any KernelNotifier) {
        switch self {
        case .inode(let ino): notifier.invalidateInode(ino, offset: 0, length: 0)
        // libfuse: a negative offset invalidates the attributes only.
        case .attributes(let ino): notifier.invalidateInode(ino, offset: -1, length: 0)
        case .entry(let parent, let name): notifier.invalidateEntry(parent: parent, name: name)
        case .delete(let parent, let child, let name): notifier.notifyDelete(parent: parent, child: child, name: name)
        }
    }
}
