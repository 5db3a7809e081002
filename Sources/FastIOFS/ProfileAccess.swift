import FastIO

/// What the mounting user may change in one mounted workspace or share, decided from what the server
/// states: the workspace role (`member.permissions`), or a share's `share_level` and `filesystem`.
/// The mount refuses at the call (EACCES, modes 0444/0555) what the server would refuse after `close`.
///
/// Invariants: `unrestricted` whenever the server said nothing this type understands (the server then
/// decides, as before); a right limited to `owned` nodes refuses only a node whose creator is known and
/// is not the caller (unknown creator or caller: the server decides); a note's content changes only
/// through `updatenote`, which the documents make workspace-only, so note content in shares never
/// changes (its name, place and trash follow the file rule).
public struct ProfileAccess: Sendable, Equatable {
    public typealias Reach = ShareAccess.Reach

    public var createFiles: Bool
    public var createFolders: Bool
    public var modifyFiles: Reach
    public var modifyFolders: Reach
    public var modifyNotes: Bool

    public init(createFiles: Bool, createFolders: Bool, modifyFiles: Reach, modifyFolders: Reach, modifyNotes: Bool) {
        self.createFiles = createFiles; self.createFolders = createFolders
        self.modifyFiles = modifyFiles; self.modifyFolders = modifyFolders; self.modifyNotes = modifyNotes
    }

    /// Everything (the server decides).
    public static let unrestricted = ProfileAccess(createFiles: true, createFolders: true, modifyFiles: .all,
                                                   modifyFolders: .all, modifyNotes: true)

    /// A workspace member's rights by role: `view` reads only; guest and above change any node (the
    /// documents: "Permission: Guest (workspace)" for every storage change). Unknown roles: unrestricted.
    public static func workspace(role: String) -> ProfileAccess {
        guard role.lowercased() == "view" else { return .unrestricted }
        return ProfileAccess(createFiles: false, createFolders: false, modifyFiles: .none, modifyFolders: .none,
                             modifyNotes: false)
    }

    /// A share's rights from its details; notes are read-only in shares (no `updatenote` there).
    public static func share(_ access: ShareAccess?) -> ProfileAccess {
        guard let access else {
            var rights = ProfileAccess.unrestricted
            rights.modifyNotes = false
            return rights
        }
        return ProfileAccess(createFiles: access.fileCreation, createFolders: access.folderCreation,
                             modifyFiles: access.fileModification, modifyFolders: access.folderModification,
                             modifyNotes: false)
    }

    /// True when nothing at all may change (every mode read-only).
    public var isReadOnly: Bool {
        !createFiles && !createFolders && modifyFiles == .none && modifyFolders == .none
    }

    /// May a new node of `kind` be created (a symlink counts as a file, as links do on the server)?
    public func mayCreate(_ kind: NodeMetadata.Kind) -> Bool {
        kind == .directory ? createFolders : createFiles
    }

    /// May the node described by `metadata` be changed by `caller`: its content when `content`, else
    /// its name, place or existence (rename, move, trash)?
    public func mayModify(_ metadata: NodeMetadata, caller: CreatorTag, content: Bool = true) -> Bool {
        if content && metadata.isNote && !modifyNotes { return false }
        let reach = metadata.kind == .directory ? modifyFolders : modifyFiles
        switch reach {
        case .all: return true
        case .none: return false
        case .owned: return !metadata.creator.isKnown || !caller.isKnown || metadata.creator == caller
        }
    }

    /// May entries be added to a directory at all (its `w` bit)?
    public var mayAddEntries: Bool { createFiles || createFolders }
}
