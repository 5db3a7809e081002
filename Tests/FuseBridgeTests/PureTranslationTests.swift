import CFuseShim
import FastIOFS
import FuseBridge
import Glibc
import Testing

/// The parts of the bridge that need no kernel: setattr decoding, xattr probing, mount options.
@Suite struct PureTranslationTests {
    let atime = FSTime(seconds: 10, nanoseconds: 1)
    let mtime = FSTime(seconds: 20, nanoseconds: 2)
    let now = FSTime(seconds: 99, nanoseconds: 9)

    func decode(_ toSet: Int32, handle: UInt64? = nil) -> AttributeChanges {
        AttributeChangesDecoder.decode(toSet: toSet, mode: S_IFREG | 0o600, uid: 7, gid: 8, size: 4096,
                                       atime: atime, mtime: mtime, handle: handle, now: { now })
    }

    @Test func setattrDecodesOnlyTheBitsThatAreSet() {
        #expect(decode(0) == AttributeChanges())
        #expect(decode(FUSE_SET_ATTR_MODE) == AttributeChanges(mode: S_IFREG | 0o600))
        #expect(decode(FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) == AttributeChanges(uid: 7, gid: 8))
        #expect(decode(FUSE_SET_ATTR_SIZE, handle: 5) == AttributeChanges(size: 4096, handle: 5))
        #expect(decode(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME) == AttributeChanges(atime: atime, mtime: mtime))
    }

    @Test func setattrNowBitsUseTheClock() {
        #expect(decode(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW) == AttributeChanges(atime: now))
        #expect(decode(FUSE_SET_ATTR_MTIME_NOW) == AttributeChanges(mtime: now))
        #expect(decode(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME_NOW) == AttributeChanges(atime: atime, mtime: now))
    }

    @Test func xattrProbingPlan() {
        #expect(XattrReplyPlan(valueLength: 26, requestedSize: 0) == .reportSize(26))
        #expect(XattrReplyPlan(valueLength: 0, requestedSize: 0) == .reportSize(0))
        #expect(XattrReplyPlan(valueLength: 26, requestedSize: 25) == .rangeError)
        #expect(XattrReplyPlan(valueLength: 26, requestedSize: 26) == .sendValue)
        #expect(XattrReplyPlan(valueLength: 26, requestedSize: 4096) == .sendValue)
        #expect(XattrReplyPlan.nameList(["user.a", "user.bc"]) == Array("user.a\0user.bc\0".utf8))
        #expect(XattrReplyPlan.nameList([]) == [])
    }

    @Test func mountOptionsSplitOursFromLibfuses() throws {
        let parsed = try MountOptionList(parsing: ["ro,uid=1000,gid=100", "umask=027,allow_other,max_threads=8,nonempty,direct_io"])
        #expect(parsed.readOnly)
        #expect(parsed.directIO)
        #expect(parsed.allowOther)
        #expect(parsed.allowNonEmpty)
        #expect(parsed.uid == 1000)
        #expect(parsed.gid == 100)
        #expect(parsed.umask == 0o027)
        #expect(parsed.passthrough == ["max_threads=8"])
        #expect(try MountOptionList(parsing: ["ro,rw"]).readOnly == false)
        #expect(try MountOptionList(parsing: []) == MountOptionList())
    }

    @Test func badMountOptionsAreRejected() {
        #expect(throws: MountOptionError.invalidValue(option: "uid", value: "bob")) { try MountOptionList(parsing: ["uid=bob"]) }
        #expect(throws: MountOptionError.invalidValue(option: "umask", value: "999")) { try MountOptionList(parsing: ["umask=999"]) }
        #expect(throws: MountOptionError.missingValue(option: "gid")) { try MountOptionList(parsing: ["gid"]) }
    }

    @Test func sessionOptionStringCarriesTheFixedOptions() {
        #expect(FuseMountOptions().optionString == "fsname=fastio,subtype=fastiofs,default_permissions,max_read=1048576")
        let options = FuseMountOptions(readOnly: true, allowOther: true, passthrough: ["noatime"])
        #expect(options.optionString == "fsname=fastio,subtype=fastiofs,default_permissions,max_read=1048576,ro,allow_other,noatime")
    }
}
