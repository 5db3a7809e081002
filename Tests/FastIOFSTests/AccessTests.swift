import FastIO
@testable import FastIOFS
import Foundation
import Synchronization
import Testing

/// The caller's rights: the pure rules, the table that learns them, and the filesystem refusing at
/// the call (EACCES, read-only modes) what the role does not allow, without sending anything.
@Suite struct ProfileAccessRuleTests {
    let me = CreatorTag("1")
    func file(creator: String? = nil, note: Bool = false) -> NodeMetadata {
        NodeMetadata(kind: .file, size: 1, mtime: FSTime(seconds: 0), isNote: note, creator: CreatorTag(creator))
    }
    func folder(creator: String? = nil) -> NodeMetadata {
        NodeMetadata(kind: .directory, mtime: FSTime(seconds: 0), creator: CreatorTag(creator))
    }

    @Test func workspaceViewersReadOnlyGuestsAndAboveChangeEverything() {
        let viewer = ProfileAccess.workspace(role: "VIEW")
        #expect(viewer.isReadOnly)
        #expect(!viewer.mayCreate(.file) && !viewer.mayCreate(.directory) && !viewer.mayAddEntries)
        #expect(!viewer.mayModify(file(creator: "1"), caller: me))
        for role in ["guest", "member", "admin", "owner", "something-new"] {
            let rights = ProfileAccess.workspace(role: role)
            #expect(rights == .unrestricted, "\(role)")
            #expect(rights.mayModify(file(note: true), caller: me), "notes change in workspaces")
        }
    }

    @Test func sendShareRecipientsOnlyRead() {
        let rights = ProfileAccess.share(ShareAccess(level: "guest", fileCreation: false, folderCreation: false,
                                                     fileModification: .none, folderModification: .none))
        #expect(rights.isReadOnly)
        #expect(!rights.mayModify(file(creator: "1"), caller: me))
        #expect(!rights.mayModify(folder(creator: "1"), caller: me))
    }

    @Test func ownedReachPassesOnlyForTheCallersNodes() {
        let rights = ProfileAccess.share(ShareAccess(level: "guest", fileCreation: true, folderCreation: true,
                                                     fileModification: .owned, folderModification: .owned))
        #expect(rights.mayCreate(.file) && rights.mayCreate(.directory) && rights.mayAddEntries)
        #expect(rights.mayModify(file(creator: "1"), caller: me))
        #expect(!rights.mayModify(file(creator: "2"), caller: me))
        #expect(rights.mayModify(file(creator: nil), caller: me), "unknown creator: the server decides")
        #expect(rights.mayModify(file(creator: "2"), caller: .unknown), "unknown caller: the server decides")
        #expect(rights.mayModify(folder(creator: "1"), caller: me))
        #expect(!rights.mayModify(folder(creator: "2"), caller: me))
    }

    @Test func noteContentInSharesNeverChanges() {
        #expect(!ProfileAccess.share(nil).mayModify(file(creator: "1", note: true), caller: me))
        #expect(ProfileAccess.share(nil).mayModify(file(creator: "1", note: true), caller: me, content: false),
                "a note's name, place and trash follow the file rule")
        #expect(ProfileAccess.share(nil).mayModify(file(creator: "2"), caller: me), "no rights stated: the server decides")
        let owner = ProfileAccess.share(ShareAccess(level: "owner", fileCreation: true, folderCreation: true,
                                                    fileModification: .all, folderModification: .all))
        #expect(!owner.mayModify(file(note: true), caller: me))
        #expect(owner.mayModify(file(), caller: me))
    }

    @Test func creatorTagsCompareIDs() {
        #expect(CreatorTag("1234567890123456789") == CreatorTag("1234567890123456789"))
        #expect(CreatorTag("1234567890123456789") != CreatorTag("1234567890123456788"))
        #expect(!CreatorTag(nil).isKnown && !CreatorTag("").isKnown && CreatorTag("x").isKnown)
    }

    @Test func memberKeysMarkAMembershipChangeAndNothingElse() {
        let batch = ActivityBatch(keys: ["member:123", "members"])
        #expect(batch.membershipChanged && !batch.refreshAll && batch.nodeIDs.isEmpty && !batch.isEmpty)
        var merged = ActivityBatch(keys: ["storage:2abc"])
        #expect(!merged.membershipChanged)
        merged.merge(batch)
        #expect(merged.membershipChanged && merged.nodeIDs == ["2abc"])
    }
}

@Suite struct AccessTableTests {
    final class Script: Sendable {
        let answers = Locked<[Result<ProfileAccess, MockError>]>([])
        let asked = Atomic<Int>(0)
        let whoAmIAsked = Atomic<Int>(0)
    }

    func table(_ script: Script, known: [Int: ProfileAccess] = [:], retryAfter: Double = 60) -> AccessTable {
        AccessTable(profileCount: 2, known: known, retryAfter: retryAfter, logger: testLogger,
                    whoAmI: { script.whoAmIAsked.add(1, ordering: .relaxed); return "1" },
                    learn: { _, callerID in
            script.asked.add(1, ordering: .relaxed)
            _ = try callerID()
            let next = script.answers.withLock { $0.isEmpty ? .success(.unrestricted) : $0.removeFirst() }
            return try next.get()
        })
    }

    @Test func rightsAreLearnedOnceAndAgainAfterForget() {
        let script = Script()
        let readOnly = ProfileAccess.workspace(role: "view")
        script.answers.withLock { $0 = [.success(readOnly), .success(.unrestricted)] }
        let access = table(script)
        #expect(access.rights(0) == readOnly)
        #expect(access.rights(0) == readOnly)
        #expect(script.asked.load(ordering: .relaxed) == 1)
        access.forget(0)
        #expect(access.rights(0) == .unrestricted)
        #expect(script.asked.load(ordering: .relaxed) == 2)
        #expect(script.whoAmIAsked.load(ordering: .relaxed) == 1, "the caller's id is learned once")
        #expect(access.caller() == CreatorTag("1"))
        #expect(access.rights(7) == .unrestricted, "out of range: the server decides")
    }

    @Test func knownRightsCostNoRequest() {
        let script = Script()
        let readOnly = ProfileAccess.workspace(role: "view")
        let access = table(script, known: [1: readOnly])
        #expect(access.rights(1) == readOnly)
        #expect(script.asked.load(ordering: .relaxed) == 0)
    }

    @Test func aFailedLearningLeavesTheServerToDecideAndIsRetriedLater() {
        let script = Script()
        script.answers.withLock { $0 = [.failure(MockError(errno: EIO)), .success(.workspace(role: "view"))] }
        let patient = table(script)
        #expect(patient.rights(0) == .unrestricted)
        #expect(patient.rights(0) == .unrestricted, "not asked again before the retry time")
        #expect(script.asked.load(ordering: .relaxed) == 1)

        let eager = Script()
        eager.answers.withLock { $0 = [.failure(MockError(errno: EIO)), .success(.workspace(role: "view"))] }
        let retrying = table(eager, retryAfter: 0)
        #expect(retrying.rights(0) == .unrestricted)
        #expect(retrying.rights(0) == .workspace(role: "view"))
        #expect(eager.asked.load(ordering: .relaxed) == 2)
    }
}

@Suite struct RoleRefusalTests {
    static let readOnlyShare = ShareAccess(level: "guest", fileCreation: false, folderCreation: false,
                                           fileModification: .none, folderModification: .none)
    static let ownedShare = ShareAccess(level: "guest", fileCreation: true, folderCreation: true,
                                        fileModification: .owned, folderModification: .owned)

    /// A mount of one share with `rights`, holding `theirs.txt` (another user's), `mine.txt` (the
    /// caller's: the mock's user id is "1"), a folder `sub` and a note.
    func mount(_ rights: ShareAccess) throws -> (MockFastIO, FastIOFileSystem) {
        let api = MockFastIO()
        let share = api.addShare(id: "4117763504443666597", customName: "recv", access: rights)
        api.addFile(share, name: "theirs.txt", bytes: Array("theirs\n".utf8), creator: "2")
        api.addFile(share, name: "mine.txt", bytes: Array("mine\n".utf8), creator: "1")
        api.addFile(share, name: "n.md", bytes: Array("# n\n".utf8), type: .note, creator: "1")
        api.addFolder(share, name: "sub")
        let configuration = MountConfiguration(layout: .single(.share("recv")), mountpoint: "/mnt/test",
                                               uid: 1000, gid: 1000, umask: 0o022, metadataTTL: 10,
                                               cacheDirectory: temporaryCacheDirectory())
        return (api, try FastIOFileSystem(api: api, configuration: configuration, logger: testLogger))
    }

    func permissions(_ entry: Entry) -> UInt32 { entry.attributes.mode & 0o777 }

    @Test func aRecipientWhoMayOnlyDownloadIsRefusedAtTheCall() throws {
        let (api, fs) = try mount(Self.readOnlyShare)
        defer { fs.destroy() }
        let root: UInt64 = 1
        #expect(try fs.getattr(ino: root).0.mode & 0o777 == 0o555)
        let theirs = try fs.lookup(parent: root, name: "theirs.txt")
        #expect(permissions(theirs) == 0o444)
        #expect(permissions(try fs.lookup(parent: root, name: "sub")) == 0o555)
        let before = api.requestCounts()
        #expect(throws: FSError(EACCES)) { try fs.create(parent: root, name: "new.txt", mode: 0o644, flags: O_WRONLY, context: writerContext) }
        #expect(throws: FSError(EACCES)) { try fs.mkdir(parent: root, name: "d", mode: 0o755, context: writerContext) }
        #expect(throws: FSError(EACCES)) { try fs.unlink(parent: root, name: "theirs.txt") }
        #expect(throws: FSError(EACCES)) { try fs.rmdir(parent: root, name: "sub") }
        #expect(throws: FSError(EACCES)) { try fs.rename(parent: root, name: "theirs.txt", newParent: root, newName: "x", flags: 0) }
        #expect(throws: FSError(EACCES)) { try fs.open(ino: theirs.attributes.ino, flags: O_WRONLY, context: writerContext) }
        #expect(throws: FSError(EACCES)) { try fs.open(ino: theirs.attributes.ino, flags: O_RDONLY | O_TRUNC, context: writerContext) }
        #expect(throws: FSError(EACCES)) {
            try fs.setattr(ino: theirs.attributes.ino, changes: AttributeChanges(size: 0), context: writerContext)
        }
        let opened = try fs.open(ino: theirs.attributes.ino, flags: O_RDONLY, context: writerContext)
        #expect(try readBytes(fs, ino: theirs.attributes.ino, handle: opened.handle, offset: 0, size: 64) == Array("theirs\n".utf8))
        fs.release(ino: theirs.attributes.ino, handle: opened.handle)
        let after = api.requestCounts()
        let sent = after.filter { $0.value != before[$0.key] && !$0.key.hasPrefix("GET ") }
        #expect(sent.isEmpty, "nothing that changes anything was sent: \(sent)")
    }

    @Test func aGuestChangesItsOwnFilesOnly() throws {
        let (api, fs) = try mount(Self.ownedShare)
        defer { fs.destroy() }
        let root: UInt64 = 1
        #expect(try fs.getattr(ino: root).0.mode & 0o777 == 0o755)
        #expect(permissions(try fs.lookup(parent: root, name: "mine.txt")) == 0o644)
        #expect(permissions(try fs.lookup(parent: root, name: "theirs.txt")) == 0o444)
        #expect(permissions(try fs.lookup(parent: root, name: "n.md")) == 0o444, "notes are read-only in shares")
        #expect(throws: FSError(EACCES)) { try fs.unlink(parent: root, name: "theirs.txt") }
        #expect(throws: FSError(EACCES)) {
            try fs.rename(parent: root, name: "mine.txt", newParent: root, newName: "theirs.txt", flags: 0)
        }
        let note = try fs.lookup(parent: root, name: "n.md").attributes.ino
        #expect(throws: FSError(EACCES)) { try fs.open(ino: note, flags: O_WRONLY, context: writerContext) }
        try fs.rename(parent: root, name: "n.md", newParent: root, newName: "m.md", flags: 0)
        try fs.rename(parent: root, name: "mine.txt", newParent: root, newName: "renamed.txt", flags: 0)
        #expect(api.child(StorageProfile(kind: .share, id: "4117763504443666597"), parent: "root", name: "renamed.txt") != nil)
        try createFile(fs, parent: root, name: "fresh.txt", Array("new\n".utf8))
        #expect(permissions(try fs.lookup(parent: root, name: "fresh.txt")) == 0o644)
    }
}
