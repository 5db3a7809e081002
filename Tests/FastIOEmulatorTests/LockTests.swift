import EmulatorHarness
import Foundation
import Testing

/// File locks: acquire/heartbeat/status/release, conflicts between users, expiry.
@Suite struct LockTests {
    /// A workspace where `other` is a member, with one file.
    func setup(_ server: TestServer) async throws -> (Fixtures.Workspace, file: String) {
        let ws = try await server.fx.createWorkspace()
        try await server.fx.addMember(workspace: ws.id, user: try await server.otherFx.userId())
        let file = try await server.fx.uploadSingle(ws.context, name: "locked.txt", data: Data(text: "lock me"))
        return (ws, file)
    }

    @Test func acquireStatusHeartbeatRelease() async throws {
        try await withServer { server in
            let (ws, file) = try await setup(server)
            let me = try await server.fx.userId()
            let lock = expectOK(try await server.api.post(ws.context.node(file, "lock"), form: [
                "duration": "300", "client_info": #"{"device_name":"test","client_version":"1.0"}"#,
            ]))
            let token = try need(lock["lock_token"].string, "lock_token: \(lock)")
            #expect(Formats.isISOOffsetTimestamp(lock["locked_at"].string), "\(lock)")
            #expect(Formats.isISOOffsetTimestamp(lock["expires_at"].string), "\(lock)")
            #expect(Formats.sameId(lock["node_id"].string, file))

            let status = expectOK(try await server.api.get(ws.context.node(file, "lock")))
            #expect(status["locked"].bool == true, "\(status)")
            #expect(status["locker_uid"].string == me, "\(status)")
            let remaining = status["time_remaining"].int ?? 0
            #expect(remaining > 250 && remaining <= 300, "time_remaining \(remaining)")
            let node = try await server.fx.details(ws.context, file)
            #expect(node["locked"].bool == true && node["lock_info"]["locker_uid"].string == me, "\(node)")

            let again = expectOK(try await server.api.post(ws.context.node(file, "lock")))
            #expect(again["lock_token"].string == token, "same user re-acquire returns the same token")

            let beat = expectOK(try await server.api.post(ws.context.node(file, "lock/heartbeat"),
                                                          form: ["lock_token": token]))
            #expect(beat["expires_at"].string != nil && beat["time_remaining"].int != nil, "\(beat)")
            expectError(try await server.api.post(ws.context.node(file, "lock/heartbeat"), form: ["lock_token": "nope"]),
                        status: 403, code: 1680, name: "APP_DENIED")
            expectError(try await server.api.delete(ws.context.node(file, "lock"), form: ["lock_token": "nope"]),
                        status: 403, code: 1680, name: "APP_DENIED")

            let released = expectOK(try await server.api.delete(ws.context.node(file, "lock"), form: ["lock_token": token]))
            #expect(released["released"].bool == true, "\(released)")
            let unlocked = expectOK(try await server.api.get(ws.context.node(file, "lock")))
            #expect(unlocked["locked"].bool == false)
            expectError(try await server.api.delete(ws.context.node(file, "lock"), form: ["lock_token": token]),
                        status: 404)

            // Release with the token in the query instead of the body.
            let second = try need(expectOK(try await server.api.post(ws.context.node(file, "lock")))["lock_token"].string,
                                  "token")
            expectOK(try await server.api.delete(ws.context.node(file, "lock"), query: ["lock_token": second]))
            #expect(expectOK(try await server.api.get(ws.context.node(file, "lock")))["locked"].bool == false)

            let gone = try await vanishedNodeId(server.fx, ws.context)
            expectError(try await server.api.post(ws.context.node(gone, "lock")), status: 404)
        }
    }

    @Test func anotherUsersLockBlocksAcquireAndChanges() async throws {
        try await withServer { server in
            let (ws, file) = try await setup(server)
            let folder = try await server.fx.createFolder(ws.context, name: "dest")
            let token = try need(expectOK(try await server.api.post(ws.context.node(file, "lock")))["lock_token"].string,
                                 "token")
            let other = server.otherAPI
            expectError(try await other.post(ws.context.node(file, "lock")), status: 409, name: "APP_CONFLICT")
            expectError(try await other.post(ws.context.node(file, "update"), form: ["name": "stolen.txt"]),
                        status: 409, name: "APP_CONFLICT")
            expectError(try await other.post(ws.context.node(file, "move"), form: ["parent": folder]),
                        status: 409, name: "APP_CONFLICT")
            expectError(try await other.delete(ws.context.node(file, "delete")), status: 409, name: "APP_CONFLICT")
            let upload = try await server.otherFx.uploadChunked(nil, name: "x", data: Data(text: "new"),
                                                                chunkSize: 1_048_576)
            let uploadId = try need(upload["id"].string, "upload id")
            expectError(try await other.post(ws.context.node(file, "update"),
                                             form: ["from": #"{"type":"upload","upload":{"id":"\#(uploadId)"}}"#]),
                        status: 409, name: "APP_CONFLICT")
            #expect(try await server.fx.read(ws.context, file) == Data(text: "lock me"))
            #expect(try await server.fx.details(ws.context, file)["name"].string == "locked.txt")

            // The lock holder can still change it.
            expectOK(try await server.api.post(ws.context.node(file, "update"), form: ["name": "mine.txt"]))
            expectOK(try await server.api.delete(ws.context.node(file, "lock"), form: ["lock_token": token]))
            expectOK(try await other.post(ws.context.node(file, "update"), form: ["name": "theirs.txt"]))
            let theirs = expectOK(try await other.post(ws.context.node(file, "lock")))
            #expect(theirs["lock_token"].string != nil)
            expectError(try await server.api.post(ws.context.node(file, "lock")), status: 409, name: "APP_CONFLICT")
        }
    }

    @Test(.timeLimit(.minutes(6))) func lockExpiresAfterItsDuration() async throws {
        try await withServer { server in
            let (ws, file) = try await setup(server)
            expectOK(try await server.api.post(ws.context.node(file, "lock"), form: ["duration": "60"]))
            expectError(try await server.otherAPI.post(ws.context.node(file, "lock")), status: 409)
            try await Task.sleep(nanoseconds: 62_000_000_000)
            let status = expectOK(try await server.api.get(ws.context.node(file, "lock")))
            #expect(status["locked"].bool == false, "lock must expire after 60 s: \(status)")
            expectOK(try await server.otherAPI.post(ws.context.node(file, "lock")))
        }
    }
}
