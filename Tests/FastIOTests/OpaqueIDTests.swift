import Testing
@testable import FastIO

@Suite("OpaqueID canonicalization")
struct OpaqueIDTests {
    @Test func hyphensAndCaseAreRemoved() {
        #expect(OpaqueID.canonical("26n2i-xygnf-vorvt-lhy3w-5laen-oybp") == "26n2ixygnfvorvtlhy3w5laenoybp")
        #expect(OpaqueID.canonical("37DU7-L34YH-f3yjx-cz4nw-4uhfv-oexb") == "37du7l34yhf3yjxcz4nw4uhfvoexb")
    }

    @Test func idempotentAndLiteralsPassThrough() {
        let once = OpaqueID.canonical("5sfmz-7zqnu-cdeci-qdxwz-ay3hu-qmwm")
        #expect(OpaqueID.canonical(once) == once)
        #expect(OpaqueID.canonical("root") == "root")
        #expect(OpaqueID.canonical("trash") == "trash")
        #expect(OpaqueID.canonical("3117763504443666597") == "3117763504443666597")
    }

    @Test func wellFormedness() {
        #expect(OpaqueID.isWellFormed("26n2i-xygnf-vorvt-lhy3w-5laen-oybp"))
        #expect(OpaqueID.isWellFormed("5qil2jrne7553u3poqdud3kdsu4bc"))
        #expect(!OpaqueID.isWellFormed("root"))
        #expect(!OpaqueID.isWellFormed("26n2i-xygnf-vorvt-lhy3w-5laen-oyb!"))
    }
}
