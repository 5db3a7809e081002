import FastIO
import Foundation

/// Where a change lands on the server: a folder of one mounted profile.
///
/// Invariant: `folderID` is a canonical OpaqueId or `root` of the profile at `profileIndex`.
struct FolderTarget: Sendable, Equatable {
    let profileIndex: Int
    let folderID: String
}

/// Resolution helpers shared by the write operations (no request of their own beyond lookups).
extension FastIOFileSystem {
    /// The write API, or EROFS on a read-only mount (or a client that cannot write).
    func requireWriter() throws(FSError) -> any FastIOWriteAPI {
        guard !configuration.readOnly, let writer else { throw FSError(EROFS) }
        return writer
    }

    /// The server folder behind directory inode `ino`; the synthetic layout directories refuse
    /// changes with EACCES (nothing can be created there).
    func folderTarget(_ ino: UInt64) throws(FSError) -> FolderTarget {
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        guard record.metadata.kind == .directory else { throw FSError(ENOTDIR) }
        guard case .remote(let profileIndex, let folderID) = record.identity else {
            throw FSError(EACCES, detail: "the layout directories are fixed")
        }
        return FolderTarget(profileIndex: profileIndex, folderID: folderID)
    }

    /// The server name for POSIX name `name`, as a name this mount creates: EINVAL when no server
    /// name maps to it, ENAMETOOLONG or EINVAL when the server would refuse it (`ServerNameRules`).
    func serverName(_ name: String) throws(FSError) -> String {
        guard let decoded = PosixName.decode(name) else {
            logger.notice("refusing a name no server name maps to", metadata: ["name": "\(name)"])
            throw FSError(EINVAL, detail: "name \(name) cannot be stored")
        }
        if let refusal = ServerNameRules.refusal(of: decoded) {
            logger.notice("refusing a name the server cannot hold", metadata: ["name": "\(name)", "why": "\(refusal)"])
            throw refusal
        }
        return decoded
    }

    /// The server name of an existing node listed as `name` (no rule applies: the server has it).
    func existingServerName(_ name: String) throws(FSError) -> String {
        guard let decoded = PosixName.decode(name) else { throw FSError(ENOENT, detail: "no server name maps to \(name)") }
        return decoded
    }

    /// The current record of child `name` of `parent` (through the normal lookup, without keeping a
    /// kernel reference), or nil when there is no such child.
    func childRecord(parent: UInt64, name: String) throws(FSError) -> NodeRecord? {
        let entry: Entry
        do {
            entry = try lookup(parent: parent, name: name)
        } catch where error.errno == ENOENT {
            return nil
        }
        let ino = entry.attributes.ino
        let record = nodes.record(ino)
        nodes.forget(ino, count: 1)
        return record
    }

    /// Maps a failed mutation to its errno; a refused name (400) is logged as such.
    func mutationError(_ error: any Error, operation: String, name: String) -> FSError {
        let failure = FSError.from(error)
        if failure.errno == EINVAL {
            logger.warning("the server refused a name", metadata: ["operation": "\(operation)", "name": "\(name)",
                                                                   "error": "\(failure)"])
        } else {
            logger.notice("\(operation) failed", metadata: ["name": "\(name)", "error": "\(failure)"])
        }
        return failure
    }

    /// Adds `entry` to the cached listing of `directory` (replacing any entry of the same name).
    func listingInsert(_ entry: ListedEntry, in directory: UInt64) {
        listings.patch(directory) { entries in entries.filter { $0.name != entry.name } + [entry] }
    }

    /// Removes `name` from the cached listing of `directory`.
    func listingRemove(_ name: String, in directory: UInt64) {
        listings.patch(directory) { entries in entries.filter { $0.name != name } }
    }
}
