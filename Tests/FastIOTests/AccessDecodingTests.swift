import Foundation
import Testing
@testable import FastIO

/// The caller's rights as share objects and node origins state them.
@Suite("Access decoding")
struct AccessDecodingTests {
    func json(_ text: String) -> JSONValue { JSONValue.parse(Data(text.utf8))! }

    @Test func nodeCreatorComesFromOrigin() throws {
        let node = try #require(RemoteNode(json: json(#"{"id":"f1","type":"note","name":"n.md","parent":"root","origin":{"type":"upload","creator":"1234567890123456789"}}"#)))
        #expect(node.creator == "1234567890123456789")
        let bare = try #require(RemoteNode(json: json(#"{"id":"f2","name":"x","origin":{"creator":""}}"#)))
        #expect(bare.creator == nil)
        let none = try #require(RemoteNode(json: json(#"{"id":"f3","name":"y"}"#)))
        #expect(none.creator == nil)
    }

    @Test func shareRightsFromLevelAndFilesystem() throws {
        let guest = try #require(ShareInfo(json: json(#"{"id":"55","share_level":"Guest","filesystem":{"file_creation":"false","file_modification":"none","folder_creation":false,"folder_modification":"OWNED","file_view":"all","file_download":"all"}}"#)))
        #expect(guest.access == ShareAccess(level: "guest", fileCreation: false, folderCreation: false,
                                            fileModification: .none, folderModification: .owned))
    }

    @Test func rightsNotUnderstoodAreLeftToTheServer() throws {
        let odd = try #require(ShareInfo(json: json(#"{"id":"56","filesystem":{"file_creation":true,"file_modification":"some","folder_creation":true,"folder_modification":"all"}}"#)))
        #expect(odd.access == nil)
        let missing = try #require(ShareInfo(json: json(#"{"id":"57","filesystem":{"file_creation":true}}"#)))
        #expect(missing.access == nil)
        #expect(try #require(ShareInfo(json: json(#"{"id":"58"}"#))).access == nil)
    }
}
