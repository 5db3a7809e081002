import Foundation
import Testing
@testable import FastIO

@Suite("Model decoding")
struct ModelDecodingTests {
    func json(_ text: String) -> JSONValue { JSONValue.parse(Data(text.utf8))! }

    @Test func realNodeShape() throws {
        let node = try #require(RemoteNode(json: json(#"""
        {"id":"26n2i-xygnf-vorvt-lhy3w-5laen-oybp","type":"file","name":"data.csv","parent":"2AAAA-bbbbb-ccccc-ddddd-eeeee-ffff",
         "size":"10205","created":"2026-05-18 19:26:25 UTC","modified":"2026-05-18T19:26:25Z",
         "version":"37du7-l34yh-f3yjx-cz4nw-4uhfv-oexb","hash":"abc","hash_algo":"sha256","mimetype":"text/csv","locked":"no"}
        """#)))
        #expect(node.id == "26n2ixygnfvorvtlhy3w5laenoybp")
        #expect(node.parentID == "2aaaabbbbbcccccdddddeeeeeffff")
        #expect(node.type == .file)
        #expect(node.size == 10205)
        #expect(node.version == "37du7l34yhf3yjxcz4nw4uhfvoexb")
        #expect(node.modified?.timeIntervalSince1970 == 1_779_132_385)
        #expect(node.created == node.modified)
        #expect(node.hashAlgo == "sha256")
        #expect(node.locked == false)
    }

    @Test func folderAtRootAndLink() throws {
        let folder = try #require(RemoteNode(json: json(#"{"id":"d1","type":"folder","name":"Docs","parent":"root"}"#)))
        #expect(folder.type == .folder)
        #expect(folder.parentID == "root")
        #expect(folder.version == nil)
        let link = try #require(RemoteNode(json: json(#"{"id":"l1","type":"link","name":"s","parent":"root","target_id":"4567"}"#)))
        #expect(link.type == .link)
        #expect(link.linkTargetID == "4567")
    }

    @Test func missingIDIsRejected() {
        #expect(RemoteNode(json: json(#"{"name":"x"}"#)) == nil)
    }

    @Test func workspaceAndShare() throws {
        let ws = try #require(WorkspaceInfo(json: json(#"{"id":3117763504443666597,"folder_name":"eng","name":"Engineering"}"#)))
        #expect(ws == WorkspaceInfo(id: "3117763504443666597", folderName: "eng", name: "Engineering"))
        let share = try #require(ShareInfo(json: json(#"{"id":"1234567890123456789","custom_name":"q4","title":"Q4","storage_mode":"workspace_folder"}"#)))
        #expect(share.isWorkspaceFolder)
        #expect(share.customName == "q4")
        let portal = try #require(ShareInfo(json: json(#"{"id":"1","custom_name":null,"share_category":"portal"}"#)))
        #expect(!portal.isWorkspaceFolder)
        #expect(portal.customName == nil)
    }

    @Test func activityShapes() {
        let poll = ActivityPoll(json: json(#"{"activity":{"storage:2abc":"2026-07-23 19:29:17.959200 UTC","members":"x"},"lastactivity":"2026-07-23 19:29:17.959200 UTC"}"#))
        #expect(poll.keys == ["members", "storage:2abc"])
        #expect(poll.lastActivity == "2026-07-23 19:29:17.959200 UTC")
        let empty = ActivityPoll(json: json(#"{"activity":[]}"#))
        #expect(empty.keys.isEmpty)
        #expect(empty.lastActivity == nil)
    }

    @Test func lenientScalars() {
        #expect(JSONValue.string("42").int64Value == 42)
        #expect(JSONValue.number("42").int64Value == 42)
        #expect(JSONValue.string("yes").boolValue == true)
        #expect(JSONValue.string("no").boolValue == false)
        #expect(JSONValue.number("1").boolValue == true)
        #expect(JSONValue.null.stringValue == nil)
    }
}
