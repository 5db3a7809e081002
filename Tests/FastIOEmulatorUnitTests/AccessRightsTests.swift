import Testing
@testable import FastIOEmulator

/// The pure access model: roles, share levels, the `filesystem` object and the storage decisions of the
/// access contract, without a server.
struct AccessRightsTests {
    let me = "1111111111111111111"
    let someoneElse = "2222222222222222222"

    func allowed(_ d: AccessDecision) -> Bool { d == .allowed }

    @Test func rolesFollowTheDocumentedNumbers() {
        #expect(Role.allCases.map(\.rawValue) == [20, 50, 100, 500, 1000])
        #expect(Role.view < .guest && .guest < .member && .member < .admin && .admin < .owner)
        for role in Role.allCases { #expect(Role(name: role.name) == role) }
        #expect(Role(name: "Admin") == .admin)
        #expect(Role(name: "superuser") == nil)
    }

    @Test func workspaceViewReadsOnly() {
        let d = AccessRights.workspace(.view, .create(.file))
        guard case .denied(let message) = d else { Issue.record("view may not create"); return }
        #expect(message.contains("view") && message.contains("guest"), "\(message)")
        #expect(allowed(AccessRights.workspace(.view, .read)))
        for action: StorageAction in [.create(.folder), .modify(.file, creator: me), .renewLock, .restore, .emptyTrash, .purge] {
            #expect(!allowed(AccessRights.workspace(.view, action)), "\(action)")
        }
    }

    @Test func workspaceGuestChangesButDoesNotPurge() {
        for action: StorageAction in [.read, .create(.file), .create(.folder), .modify(.folder, creator: someoneElse),
                                      .renewLock, .restore, .emptyTrash] {
            #expect(allowed(AccessRights.workspace(.guest, action)), "\(action)")
        }
        #expect(!allowed(AccessRights.workspace(.guest, .purge)))
        for role: Role in [.member, .admin, .owner] { #expect(allowed(AccessRights.workspace(role, .purge))) }
    }

    @Test func shareLevels() {
        let owner = ShareAccess.resolve(isShareOwner: true, shareMember: nil, workspaceRole: nil, type: .send)
        #expect(owner?.level == .owner && owner?.filesystem == .full && owner?.role == .owner)
        let shareAdmin = ShareAccess.resolve(isShareOwner: false, shareMember: .admin, workspaceRole: nil, type: .send)
        #expect(shareAdmin?.level == .owner && shareAdmin?.filesystem == .full)
        let wsMember = ShareAccess.resolve(isShareOwner: false, shareMember: nil, workspaceRole: .member, type: .send)
        #expect(wsMember?.level == .owner && wsMember?.filesystem == .full && wsMember?.role == .member)
        let shareMember = ShareAccess.resolve(isShareOwner: false, shareMember: .member, workspaceRole: nil, type: .exchange)
        #expect(shareMember?.level == .guest && shareMember?.filesystem == .ownedOnly)
        let wsGuest = ShareAccess.resolve(isShareOwner: false, shareMember: nil, workspaceRole: .guest, type: .receive)
        #expect(wsGuest?.level == .guest && wsGuest?.filesystem == .ownedOnly && wsGuest?.role == .guest)
        let wsView = ShareAccess.resolve(isShareOwner: false, shareMember: nil, workspaceRole: .view, type: .exchange)
        #expect(wsView?.level == .guest && wsView?.filesystem == .readOnly)
        #expect(ShareAccess.resolve(isShareOwner: false, shareMember: nil, workspaceRole: nil, type: .exchange) == nil)
    }

    @Test func theBetterOfShareAndWorkspaceWins() {
        // Share view + workspace guest: guest level with effective permission guest -> owned.
        let a = ShareAccess.resolve(isShareOwner: false, shareMember: .view, workspaceRole: .guest, type: .exchange)
        #expect(a?.level == .guest && a?.role == .guest && a?.filesystem == .ownedOnly)
        // Share guest + workspace member: owner level.
        let b = ShareAccess.resolve(isShareOwner: false, shareMember: .guest, workspaceRole: .member, type: .exchange)
        #expect(b?.level == .owner && b?.filesystem == .full)
        // Share member + workspace view: guest level, effective member.
        let c = ShareAccess.resolve(isShareOwner: false, shareMember: .member, workspaceRole: .view, type: .exchange)
        #expect(c?.level == .guest && c?.role == .member && c?.filesystem == .ownedOnly)
    }

    @Test func sendShareGuestsAreReadOnly() {
        for role: Role in [.member, .guest, .view] {
            let access = ShareAccess.resolve(isShareOwner: false, shareMember: role, workspaceRole: nil, type: .send)
            #expect(access?.filesystem == .readOnly, "\(role)")
        }
        let fs = ShareFilesystem.readOnly
        #expect(fs.json["file_creation"] == .bool(false) && fs.json["file_modification"] == .string("none"))
        #expect(fs.json["file_download"] == .string("all") && fs.json["file_view"] == .string("all"))
        #expect(fs.json["folder_creation"] == .bool(false) && fs.json["folder_modification"] == .string("none"))
    }

    @Test func ownedMeansTheCreatorIsTheCaller() {
        #expect(ModificationScope.owned.permits(creator: me, caller: me))
        #expect(!ModificationScope.owned.permits(creator: someoneElse, caller: me))
        #expect(ModificationScope.owned.permits(creator: nil, caller: me), "unknown node: decided again at placement")
        #expect(ModificationScope.all.permits(creator: someoneElse, caller: me))
        #expect(!ModificationScope.none.permits(creator: me, caller: me))
    }

    @Test func shareDecisions() throws {
        let guest = try #require(ShareAccess.resolve(isShareOwner: false, shareMember: .guest, workspaceRole: nil, type: .exchange))
        let g = Grant.share(guest)
        #expect(allowed(AccessRights.decide(g, .read, caller: me)))
        #expect(allowed(AccessRights.decide(g, .create(.file), caller: me)))
        #expect(allowed(AccessRights.decide(g, .create(.folder), caller: me)))
        #expect(allowed(AccessRights.decide(g, .modify(.file, creator: me), caller: me)))
        #expect(allowed(AccessRights.decide(g, .modify(.folder, creator: me), caller: me)))
        #expect(allowed(AccessRights.decide(g, .renewLock, caller: me)))
        guard case .denied(let message) = AccessRights.decide(g, .modify(.file, creator: someoneElse), caller: me) else {
            Issue.record("another user's file must be refused"); return
        }
        #expect(message.contains("file_modification"), "\(message)")
        guard case .denied(let folderMessage) = AccessRights.decide(g, .modify(.folder, creator: someoneElse), caller: me) else {
            Issue.record("another user's folder must be refused"); return
        }
        #expect(folderMessage.contains("folder_modification"), "\(folderMessage)")
        for action: StorageAction in [.restore, .purge, .emptyTrash] {
            #expect(!allowed(AccessRights.decide(g, action, caller: me)), "\(action)")
        }

        let view = try #require(ShareAccess.resolve(isShareOwner: false, shareMember: .view, workspaceRole: nil, type: .exchange))
        guard case .denied(let creation) = AccessRights.decide(.share(view), .create(.file), caller: me) else {
            Issue.record("view may not create"); return
        }
        #expect(creation.contains("file_creation"), "\(creation)")
        guard case .denied(let folderCreation) = AccessRights.decide(.share(view), .create(.folder), caller: me) else {
            Issue.record("view may not create folders"); return
        }
        #expect(folderCreation.contains("folder_creation"), "\(folderCreation)")
        #expect(!allowed(AccessRights.decide(.share(view), .modify(.file, creator: me), caller: me)))

        let owner = try #require(ShareAccess.resolve(isShareOwner: true, shareMember: nil, workspaceRole: nil, type: .send))
        for action: StorageAction in [.create(.file), .modify(.folder, creator: someoneElse), .restore, .purge, .emptyTrash] {
            #expect(allowed(AccessRights.decide(.share(owner), action, caller: me)), "\(action)")
        }
    }

    @Test func readTokensOnlyRead() {
        #expect(allowed(AccessRights.decide(.readToken, .read, caller: nil)))
        #expect(!allowed(AccessRights.decide(.readToken, .create(.file), caller: nil)))
    }

    @Test func notesAndLinksCountAsFiles() {
        #expect(NodeKind(type: "note") == .file && NodeKind(type: "link") == .file && NodeKind(type: "file") == .file)
        #expect(NodeKind(type: "folder") == .folder)
        #expect(ShareType(stored: "receive") == .receive && ShareType(stored: "bogus") == .exchange)
    }

    @Test func memberManagement() {
        #expect(AccessRights.mayManageWorkspaceMembers(.member, permMemberManage: "Member or above"))
        #expect(!AccessRights.mayManageWorkspaceMembers(.guest, permMemberManage: "Member or above"))
        #expect(!AccessRights.mayManageWorkspaceMembers(.member, permMemberManage: "Admin or above"))
        #expect(AccessRights.mayManageWorkspaceMembers(.admin, permMemberManage: "Admin or above"))
        #expect(AccessRights.isOwnerOrAdmin(.admin) && !AccessRights.isOwnerOrAdmin(.member))
        #expect(AccessRights.mayAssign(.admin, by: .admin) && AccessRights.mayAssign(.view, by: .owner))
        #expect(!AccessRights.mayAssign(.admin, by: .member) && !AccessRights.mayAssign(.owner, by: .owner))
    }
}
