import EmulatorHarness
import Foundation
import Testing

/// Markdown notes: createnote, updatenote (with if_version_id CAS), readnote.
@Suite struct NotesTests {
    @Test func noteLifecycle() async throws {
        try await withWorkspace { server, ws in
            let text = "# Meeting\n\n- item one\n"
            let created = expectOK(try await server.api.post(ws.context.node("root", "createnote"),
                                                             form: ["name": "meeting.md", "content": text]))
            let note = created["note"]
            let id = try need(note["id"].string, "note.id: \(created)")
            #expect(note["type"].string == "note")
            #expect(note["name"].string == "meeting.md")
            #expect(note["parent"].string == "root")
            let v1 = try need(note["version"].string, "note.version: \(created)")
            #expect(Formats.isOpaqueId(v1, type: "3"))

            let raw = try await server.api.get(ws.context.node(id, "readnote"))
            #expect(raw.status == 200 && raw.text == text, "readnote: \(raw)")
            #expect(try await server.fx.read(ws.context, id) == Data(text: text))

            expectError(try await server.api.post(ws.context.node("root", "createnote"),
                                                  form: ["name": "meeting.txt", "content": "x"]), status: 400, code: 1605)
            expectError(try await server.api.post(ws.context.node("root", "createnote"),
                                                  form: ["name": "meeting.md", "content": "dup"]), status: 400, code: 1605)
            let huge = String(repeating: "a", count: 100 * 1024 + 1)
            expectError(try await server.api.post(ws.context.node("root", "createnote"),
                                                  form: ["name": "huge.md", "content": huge]), status: 400, code: 1605)

            let updated = expectOK(try await server.api.post(ws.context.node(id, "updatenote"),
                                                             form: ["content": "# Changed\n", "if_version_id": v1]))
            let v2 = try need(updated["note"]["version"].string, "version after updatenote: \(updated)")
            #expect(v2 != v1)
            #expect(try await server.api.get(ws.context.node(id, "readnote")).text == "# Changed\n")

            let stale = try await server.api.post(ws.context.node(id, "updatenote"),
                                                  form: ["content": "lost update", "if_version_id": v1])
            expectError(stale, status: 409, code: 1660)
            #expect(stale.json?["error"]["params"]["current"].exists == true, "params.current: \(stale)")
            #expect(try await server.api.get(ws.context.node(id, "readnote")).text == "# Changed\n")

            let renamed = expectOK(try await server.api.post(ws.context.node(id, "updatenote"),
                                                             form: ["name": "minutes.md"]))
            #expect(renamed["note"]["name"].string == "minutes.md")
            expectError(try await server.api.post(ws.context.node(id, "updatenote"), form: ["name": "minutes.txt"]),
                        status: 400, code: 1605)
            expectError(try await server.api.post(ws.context.node(id, "updatenote"), form: [:]), status: 400, code: 1605)
            expectError(try await server.api.post(ws.context.node(id, "update"), form: ["name": "x.md"]),
                        status: 400, code: 1605)
            let versions = expectOK(try await server.api.get(ws.context.node(id, "versions")))["versions"].array ?? []
            #expect(versions.count == 2, "\(versions)")
            let file = try await server.fx.uploadSingle(ws.context, name: "plain.md", data: Data(text: "p"))
            expectError(try await server.api.post(ws.context.node(file, "updatenote"), form: ["content": "x"]),
                        status: 400, code: 1605)
        }
    }
}
