import FastIO
@testable import FastIOFS
import Foundation
import Testing

/// The filename rules of facts.md, and the refusals they make at the call that makes a name.
@Suite struct ServerNameRulesTests {
    @Test(arguments: [String(repeating: "n", count: 256), String(repeating: "é", count: 256),
                      String(repeating: "😀", count: 256)])
    func overLongNamesAreENAMETOOLONG(_ name: String) {
        #expect(ServerNameRules.refusal(of: name)?.errno == ENAMETOOLONG)
    }

    @Test(arguments: ["", ".", "..", "a/b", "a\\b", "nul\u{0}x", "cr\r", "lf\nx", "tab\tx", "del\u{7F}", "c1\u{85}",
                      "space ", "tab\t", "dot.", "...", "rlo\u{202E}x", "lrm\u{200E}x", "zw\u{200B}x", "joiner\u{2060}x",
                      "bom\u{FEFF}x"])
    func otherBreachesAreEINVAL(_ name: String) {
        #expect(ServerNameRules.refusal(of: name)?.errno == EINVAL)
    }

    @Test(arguments: [String(repeating: "n", count: 255), String(repeating: "é", count: 255),
                      String(repeating: "😀", count: 255), ".hidden", "a b.c", "x／y", "ünïcödé", "-dash", "a..b"])
    func namesTheServerHoldsPass(_ name: String) {
        #expect(ServerNameRules.refusal(of: name) == nil)
    }

    @Test func createMkdirRenameAndMknodRefuseAtOnce() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let long = String(repeating: "x", count: 256)
        func errnoOf(_ body: () throws -> Void) -> Int32? {
            do { try body() } catch let error as FSError { return error.errno } catch { return -1 }
            return nil
        }
        #expect(errnoOf { _ = try fs.create(parent: docs, name: long, mode: 0o644, flags: O_WRONLY, context: writerContext) } == ENAMETOOLONG)
        #expect(errnoOf { _ = try fs.mkdir(parent: docs, name: long, mode: 0o755, context: writerContext) } == ENAMETOOLONG)
        #expect(errnoOf { _ = try fs.mknod(parent: docs, name: long, mode: UInt32(S_IFREG) | 0o644, context: writerContext) } == ENAMETOOLONG)
        #expect(errnoOf { try fs.rename(parent: docs, name: "a.txt", newParent: docs, newName: long, flags: 0) } == ENAMETOOLONG)
        #expect(errnoOf { _ = try fs.create(parent: docs, name: "trailing.", mode: 0o644, flags: O_WRONLY, context: writerContext) } == EINVAL)
        #expect(errnoOf { try fs.rename(parent: docs, name: "a.txt", newParent: docs, newName: "tab\t", flags: 0) } == EINVAL)
        #expect(fixture.api.count("POST upload") == 0, "nothing was sent")
        #expect(try fs.statfs(ino: 1).maxNameLength == 255)
    }

    @Test func permanentRefusalsAreTheOnesRetryingCannotChange() {
        func api(_ status: Int, route: String = "POST upload") -> FastIOError {
            FastIOError(kind: .api, httpStatus: status, message: "refused", route: route)
        }
        for status in [400, 403, 404, 413] { #expect(UploadRefusal.isPermanent(api(status)), "\(status)") }
        for status in [401, 402, 409, 429, 500, 503] { #expect(!UploadRefusal.isPermanent(api(status)), "\(status)") }
        #expect(!UploadRefusal.isPermanent(api(404, route: "GET upload/details")), "a session is made anew")
        #expect(UploadRefusal.isPermanent(UnsendableContent(description: "not UTF-8")))
        #expect(!UploadRefusal.isPermanent(FSError(EIO)))
    }
}
