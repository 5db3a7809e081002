/// The access rules of the documents (storage.md "Permission:" lines, shares.md share levels and `filesystem`,
/// workspaces.md roles) as pure values and decisions: no database, no I/O. `Access` (Scope.swift) reads the
/// rows and builds these; the routes ask `AccessRights.decide` before they change anything.

/// A role on a workspace or share, ordered by the documents' numeric levels.
/// Invariant: `rawValue` is the documented level (owner 1000, admin 500, member 100, guest 50, view 20) and
/// every comparison uses it; `owner` is never stored in `members.permissions` (the profile's `owner_id` is).
enum Role: Int, Comparable, Sendable, CaseIterable {
    case view = 20
    case guest = 50
    case member = 100
    case admin = 500
    case owner = 1000

    /// The role named by a `permissions` value (`owner`, `admin`, `member`, `guest`, `view`), else nil.
    init?(name: String) {
        switch name.lowercased() {
        case "owner": self = .owner
        case "admin": self = .admin
        case "member": self = .member
        case "guest": self = .guest
        case "view": self = .view
        default: return nil
        }
    }

    /// The `permissions` value of this role.
    var name: String {
        switch self {
        case .owner: return "owner"
        case .admin: return "admin"
        case .member: return "member"
        case .guest: return "guest"
        case .view: return "view"
        }
    }

    static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
}

/// A share's direction (shares.md "Share Types").
/// Invariant: unknown stored values read as `exchange`, the documented default.
enum ShareType: String, Sendable {
    case send, receive, exchange

    init(stored: String) { self = ShareType(rawValue: stored) ?? .exchange }
}

/// The caller's `share_level` (shares.md: owner, guest, public, excluded; the emulator has no public access and
/// answers 403/144499 instead of `excluded`).
/// Invariant: only the two levels a signed-in caller with access can hold.
enum ShareLevel: String, Sendable {
    case owner, guest
}

/// How far a `file_modification` / `folder_modification` permission reaches.
/// Invariant: `owned` passes exactly when the node's creator (`origin.creator`) is the caller; `all` always
/// passes; `none` never does.
enum ModificationScope: String, Sendable {
    case all, owned, none

    /// Whether a node created by `creator` may be changed by `caller`. `creator` nil means the node is not known
    /// yet (an upload session whose `file_id` does not resolve at create time): `owned` passes then, and placement
    /// decides again with the real node.
    func permits(creator: String?, caller: String) -> Bool {
        switch self {
        case .all: return true
        case .none: return false
        case .owned: return creator.map { $0 == caller } ?? true
        }
    }
}

/// The two node kinds the permissions distinguish.
/// Invariant: notes and links count as files (storage.md groups them with files); only `folder` is a folder.
enum NodeKind: Sendable {
    case file, folder

    init(type: String) { self = type == "folder" ? .folder : .file }
}

/// A share's `filesystem` object for one caller.
/// Invariant: `file_download` and `file_view` are always `all` (every level may list and download); the four
/// other fields are one of the three combinations below (`full`, `ownedOnly`, `readOnly`).
struct ShareFilesystem: Equatable, Sendable {
    let fileCreation: Bool
    let fileModification: ModificationScope
    let folderCreation: Bool
    let folderModification: ModificationScope

    /// Owner level.
    static let full = ShareFilesystem(fileCreation: true, fileModification: .all, folderCreation: true, folderModification: .all)
    /// Guests of receive and exchange shares (permission member or guest).
    static let ownedOnly = ShareFilesystem(fileCreation: true, fileModification: .owned, folderCreation: true, folderModification: .owned)
    /// Guests with permission view, and every guest of a send share.
    static let readOnly = ShareFilesystem(fileCreation: false, fileModification: .none, folderCreation: false, folderModification: .none)

    func mayCreate(_ kind: NodeKind) -> Bool { kind == .folder ? folderCreation : fileCreation }

    func modification(_ kind: NodeKind) -> ModificationScope { kind == .folder ? folderModification : fileModification }

    /// The object as share details and `shares/all` items carry it.
    var json: JSON {
        .obj([("file_creation", .bool(fileCreation)), ("file_modification", .string(fileModification.rawValue)),
              ("file_download", "all"), ("file_view", "all"), ("folder_creation", .bool(folderCreation)),
              ("folder_modification", .string(folderModification.rawValue))])
    }
}

/// One caller's access to one share: level, effective role and filesystem permissions.
/// Invariant: built only by `resolve`, so `level`, `role` and `filesystem` always agree with the contract:
/// owner level from the share's ownership, a share membership of admin or above, or a parent-workspace role of
/// member or above; otherwise guest level with the better of the two roles as its effective permission.
struct ShareAccess: Equatable, Sendable {
    let level: ShareLevel
    /// The best role from the share (ownership or membership) and the parent workspace; member management uses it.
    let role: Role
    let filesystem: ShareFilesystem

    /// Nil when the caller has no access at all (neither the share's owner, nor its member, nor a member of its
    /// parent workspace).
    static func resolve(isShareOwner: Bool, shareMember: Role?, workspaceRole: Role?, type: ShareType) -> ShareAccess? {
        var candidates: [(ShareLevel, Role)] = []
        if isShareOwner { candidates.append((.owner, .owner)) }
        if let r = shareMember { candidates.append((r >= .admin ? .owner : .guest, r)) }
        if let r = workspaceRole { candidates.append((r >= .member ? .owner : .guest, r)) }
        guard let role = candidates.map(\.1).max() else { return nil }
        let level: ShareLevel = candidates.contains { $0.0 == .owner } ? .owner : .guest
        let filesystem: ShareFilesystem
        if level == .owner {
            filesystem = .full
        } else if role == .view || type == .send {
            filesystem = .readOnly
        } else {
            filesystem = .ownedOnly
        }
        return ShareAccess(level: level, role: role, filesystem: filesystem)
    }
}

/// What a caller holds on one storage scope (`workspace/{id}/storage/…` or `share/{id}/storage/…`).
/// Invariant: `readToken` (a `/read/?token=` request without a bearer) permits reading only.
enum Grant: Equatable, Sendable {
    case workspace(Role)
    case share(ShareAccess)
    case readToken
}

/// A storage operation as the permission rules see it.
/// Invariant: every changing route maps to exactly one case (see docs/EMULATOR.md "Access").
enum StorageAction: Equatable, Sendable {
    /// list, details, read, readnote, requestread, versions, recent, search, lock status.
    case read
    /// addfile, createfolder, createnote, addlink, copy (at the destination, the copied node's kind), uploads with
    /// action create.
    case create(NodeKind)
    /// update, move, delete, restore-version, lock acquire, updatenote, uploads with action update.
    case modify(NodeKind, creator: String?)
    /// lock heartbeat and release (the holder presents its token).
    case renewLock
    /// restore from the trash.
    case restore
    /// `trash/delete/`.
    case emptyTrash
    /// permanent delete of a trashed node.
    case purge
}

/// The outcome of an access decision.
/// Invariant: `denied` always carries a message naming the missing role or permission.
enum AccessDecision: Equatable, Sendable {
    case allowed
    case denied(String)
}

/// The decisions themselves.
/// Invariant: pure functions of their arguments.
enum AccessRights {
    static func decide(_ grant: Grant, _ action: StorageAction, caller: String?) -> AccessDecision {
        switch grant {
        case .readToken:
            return action == .read ? .allowed : .denied("A read token only permits reading.")
        case .workspace(let role):
            return workspace(role, action)
        case .share(let access):
            return share(access, action, caller: caller)
        }
    }

    /// storage.md: View for reading, Guest for changes, Member for purge.
    static func workspace(_ role: Role, _ action: StorageAction) -> AccessDecision {
        let needed: Role
        switch action {
        case .read: needed = .view
        case .create, .modify, .renewLock, .restore, .emptyTrash: needed = .guest
        case .purge: needed = .member
        }
        if role >= needed { return .allowed }
        return .denied("Your workspace role (\(role.name)) does not permit this; it requires \(needed.name) or above.")
    }

    /// shares.md `filesystem` permissions; restore, purge and emptying the trash need owner level.
    static func share(_ access: ShareAccess, _ action: StorageAction, caller: String?) -> AccessDecision {
        let fs = access.filesystem
        switch action {
        case .read, .renewLock:
            return .allowed
        case .create(let kind):
            if fs.mayCreate(kind) { return .allowed }
            let name = kind == .folder ? "folder_creation" : "file_creation"
            return .denied("This share does not grant you \(name) permission.")
        case .modify(let kind, let creator):
            let scope = fs.modification(kind)
            let permitted = caller.map { scope.permits(creator: creator, caller: $0) } ?? (scope == .all)
            if permitted { return .allowed }
            let name = kind == .folder ? "folder_modification" : "file_modification"
            if scope == .owned {
                return .denied("This share grants you \(name) only on items you created.")
            }
            return .denied("This share does not grant you \(name) permission.")
        case .restore, .emptyTrash, .purge:
            if access.level == .owner { return .allowed }
            return .denied("This operation requires owner or admin permission on the share.")
        }
    }

    /// Who may add or remove workspace members (workspaces.md `perm_member_manage`): `Admin or above` needs admin,
    /// anything else (the default `Member or above`) needs member.
    static func mayManageWorkspaceMembers(_ role: Role, permMemberManage: String) -> Bool {
        role >= (permMemberManage.lowercased().hasPrefix("admin") ? .admin : .member)
    }

    /// Who may add, update or remove share members, and update workspace members: owner or admin.
    static func isOwnerOrAdmin(_ role: Role) -> Bool { role >= .admin }

    /// A membership with `target` may be set by a caller holding `caller`: never owner, never above the caller.
    static func mayAssign(_ target: Role, by caller: Role) -> Bool { target != .owner && target <= caller }
}
