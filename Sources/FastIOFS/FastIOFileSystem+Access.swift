import FastIO
import Foundation
import Logging

/// The mounting user's rights applied where the user acts: modes show them, and every change the
/// role does not allow fails at the call with EACCES (not EROFS: the filesystem itself is writable,
/// other nodes or other users' roles may change) before any request, instead of after `close`.
extension FastIOFileSystem {
    /// Builds the rights table; shares' rights come with their details when the resolver had them.
    static func makeAccessTable(api: any FastIOAPI, profiles: [MountedProfile], logger: Logger) -> AccessTable {
        var known: [Int: ProfileAccess] = [:]
        for (index, mounted) in profiles.enumerated() where mounted.profile.kind == .share {
            if let access = mounted.shareAccess { known[index] = .share(access) }
        }
        return AccessTable(profileCount: profiles.count, known: known, logger: logger,
                           whoAmI: { try api.authCheck() },
                           learn: { index, callerID in
            let profile = profiles[index].profile
            switch profile.kind {
            case .workspace:
                guard let roles = api as? any WorkspaceRoleDiscovering else { return .unrestricted }
                return .workspace(role: try roles.workspaceRole(workspaceID: profile.id, userID: try callerID()))
            case .share:
                return .share(try api.shareDetails(profile.id).access)
            }
        })
    }

    /// Profiles whose rights are learned while the mount starts (the rest on first use).
    static let eagerlyLearnedProfiles = 32

    /// Learns the rights of the first profiles now, so the first `ls` sends no extra request.
    func learnAccessAtStart() {
        guard writes != nil else { return }
        for index in profiles.indices.prefix(Self.eagerlyLearnedProfiles) {
            let rights = access.rights(index)
            if rights.modifyFiles == .owned || rights.modifyFolders == .owned { _ = access.caller() }
        }
    }

    /// True when the mounting user may change `record` itself: its content when `content` (files),
    /// else its name, place or existence.
    func mayChange(_ record: NodeRecord, content: Bool = true) -> Bool {
        guard case .remote(let profile, let id) = record.identity else { return record.identity.isRemote }
        guard id != "root" else { return false }
        let rights = access.rights(profile)
        return rights.mayModify(record.metadata, caller: needsCaller(rights) ? access.caller() : .unknown,
                                content: content)
    }

    /// The `w` bits of `record`: a directory's say whether entries may be added in it, a file's
    /// whether it may be changed.
    func showsWritable(_ record: NodeRecord) -> Bool {
        guard writes != nil, let profile = record.identity.profileIndex else { return record.identity.isRemote }
        if record.metadata.kind == .directory { return access.rights(profile).mayAddEntries }
        if case .pending = record.identity { return true }
        return mayChange(record)
    }

    /// EACCES unless the mounting user may change `record` (its content when `content`).
    func requireChangeable(_ record: NodeRecord, operation: String, content: Bool = true) throws(FSError) {
        guard writes != nil, !mayChange(record, content: content) else { return }
        logger.notice("refused: the role in this workspace or share does not allow it",
                      metadata: ["operation": "\(operation)", "name": "\(record.name)"])
        throw FSError(EACCES, detail: "\(operation) of \(record.name) is not allowed by your role")
    }

    /// EACCES unless a new node of `kind` may be created in `target`'s profile.
    func requireCreatable(_ kind: NodeMetadata.Kind, in target: FolderTarget, name: String) throws(FSError) {
        guard !access.rights(target.profileIndex).mayCreate(kind) else { return }
        logger.notice("refused: the role in this workspace or share does not allow creating it",
                      metadata: ["kind": "\(kind)", "name": "\(name)"])
        throw FSError(EACCES, detail: "creating \(name) is not allowed by your role")
    }

    /// Refreshes the rights of profile `index` after its membership changed, and has the kernel drop
    /// the attributes (modes) it cached for the profile's nodes.
    func membershipChanged(profileIndex index: Int) -> [KernelInvalidation] {
        let before = access.known(index)
        access.forget(index)
        let after = access.rights(index)
        guard before != after else { return [] }
        logger.info("rights changed", metadata: ["profile": "\(profiles[index].profile)", "rights": "\(after)"])
        return nodes.inodes(profile: index).map { KernelInvalidation.attributes($0) }
    }

    private func needsCaller(_ rights: ProfileAccess) -> Bool {
        rights.modifyFiles == .owned || rights.modifyFolders == .owned
    }
}
