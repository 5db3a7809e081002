import EmulatorHarness
import Foundation
import Testing

/// Bearer auth on every route, the error envelope, rate-limit headers, unknown routes.
@Suite struct AuthAndEnvelopeTests {
    @Test func missingOrBadTokenIs401OnEveryRoute() async throws {
        try await withWorkspace { server, ws in
            let file = try await server.fx.uploadSingle(ws.context, name: "a.txt", data: Data(text: "hello"))
            let routes: [(String, String)] = [
                ("GET", "user/auth/check/"), ("GET", "user/me/details/"), ("GET", "orgs/list/"),
                ("GET", "workspaces/all/"), ("GET", "shares/all/"), ("GET", "user/me/list/shares/"),
                ("GET", "workspace/\(ws.id)/details/"), ("GET", "workspace/\(ws.id)/storage/root/list/"),
                ("GET", "workspace/\(ws.id)/storage/\(file)/details/"),
                ("GET", "workspace/\(ws.id)/storage/\(file)/read/"),
                ("POST", "workspace/\(ws.id)/storage/root/createfolder/"),
                ("DELETE", "workspace/\(ws.id)/storage/\(file)/delete/"),
                ("POST", "upload/"), ("GET", "upload/limits/"), ("GET", "activity/poll/\(ws.id)/"),
                ("GET", "events/search/"),
            ]
            for token in [nil, "definitely-not-a-token"] {
                let client = server.emulator.client(token: token)
                for (method, path) in routes {
                    let r = try await client.send(method, path, query: method == "GET" ? ["wait": "0"] : [:])
                    expectError(r, status: 401, code: 1650, name: "APP_AUTH_INVALID")
                    #expect(r.header("x-ve-limit-avail") != nil, "\(method) \(path) lacks rate-limit headers")
                }
            }
            // Nothing was deleted by the unauthenticated DELETE.
            try server.fx.expectOK(await server.api.get(ws.context.node(file, "details")))
        }
    }

    @Test func authCheckAndMeDetailsReturnNineteenDigitIds() async throws {
        try await withServer { server in
            let me = try await server.fx.userId()
            let other = try await server.otherFx.userId()
            #expect(Formats.isProfileId(me), "user id \(me)")
            #expect(Formats.isProfileId(other), "user id \(other)")
            #expect(me != other)
            let details = expectOK(try await server.api.get("user/me/details/"))
            #expect(details["user"]["id"].string == me, "user/me/details: \(details)")
            let otherDetails = expectOK(try await server.otherAPI.get("user/me/details/"))
            #expect(otherDetails["user"]["email_address"].string?.hasPrefix("other@") == true
                || otherDetails["user"]["email"].string?.hasPrefix("other@") == true,
                    "second user's email should be other@emulator.local: \(otherDetails)")
        }
    }

    @Test func unknownRouteIs404With9992() async throws {
        try await withServer { server in
            let r = try await server.api.get("no/such/route/")
            #expect(r.status == 404, "\(r)")
            #expect(r.isFailureEnvelope && r.errorCode == 9992, "\(r)")
            #expect(r.header("x-ve-limit-max") != nil)
        }
    }

    @Test func wrongMethodOnKnownRouteIs1651() async throws {
        try await withWorkspace { server, ws in
            let r = try await server.api.get("workspace/\(ws.id)/storage/root/createfolder/")
            expectError(r, status: 400, code: 1651)
        }
    }

    @Test func rateLimitHeadersOnEveryKindOfResponse() async throws {
        try await withWorkspace { server, ws in
            let file = try await server.fx.uploadSingle(ws.context, name: "b.bin", data: .pseudoRandom(count: 2000))
            let responses = [
                try await server.api.get("user/auth/check/"),
                try await server.api.get(ws.context.node(file, "read")),
                try await server.api.get(ws.context.node(file, "read"), headers: ["Range": "bytes=0-9"]),
                try await server.api.get(ws.context.node(file, "read"), headers: ["Range": "bytes=5000-"]),
                try await server.api.get("workspace/\(ws.id)/storage/\(file)/list/"),
                try await server.anonymous.get("orgs/list/"),
                try await server.api.get("nope/"),
            ]
            let now = Int(Date().timeIntervalSince1970)
            for r in responses {
                let avail = r.header("x-ve-limit-avail").flatMap { Int($0) }
                let max = r.header("x-ve-limit-max").flatMap { Int($0) }
                let expires = r.header("x-ve-limit-expires").flatMap { Int($0) }
                #expect(avail != nil && max != nil && expires != nil, "rate-limit headers missing: \(r)")
                if let avail, let max { #expect(avail >= 0 && avail <= max, "\(r)") }
                if let expires { #expect(expires > now - 5 && expires < now + 86_400, "expires \(expires) is not epoch s") }
            }
        }
    }

    @Test func flatEnvelopeIsTheDefault() async throws {
        try await withWorkspace { server, ws in
            let r = try await server.api.get(ws.context.node("root", "list"))
            let json = try need(r.json, "json body")
            #expect(json["result"].bool == true, "flat result must be boolean true: \(r)")
            #expect(!json["response"].exists, "flat envelope must not wrap: \(r)")
            #expect(json["nodes"]["items"].array != nil, "\(r)")
            #expect(json["current_api_version"].string == "1.0", "\(r)")
            let error = try await server.api.get(ws.context.node("root", "read"))
            #expect(error.json?["result"].bool == false, "\(error)")
            #expect(error.json?["error"]["text"].string?.isEmpty == false, "\(error)")
        }
    }

    @Test func wrappedEnvelopeShape() async throws {
        try await withWorkspace(extraArguments: ["--envelope", "wrapped"]) { server, ws in
            let check = try await server.api.get("user/auth/check/")
            #expect(check.json?["result"].string == "yes", "\(check)")
            #expect(check.json?["response"]["id"].string != nil, "\(check)")
            #expect(check.json?["current_api_version"].string == "1.0")
            let list = try await server.api.get(ws.context.node("root", "list"))
            #expect(list.json?["response"]["nodes"]["items"].array != nil, "\(list)")
            let error = try await server.api.get(ws.context.node("root", "read"))
            #expect(error.isFailureEnvelope && error.errorCode != nil, "\(error)")
            // Upload, activity and events stay top-level in both modes.
            let up = try await server.fx.uploadSingleResponse(ws.context, name: "w.txt", data: Data(text: "x"))
            #expect(up.json?["new_file_id"].string != nil, "upload response must stay top-level: \(up)")
            let poll = try await server.api.get("activity/poll/\(ws.id)/", query: ["wait": "0"])
            #expect(poll.json?["lastactivity"].string != nil && poll.json?["results"].int != nil,
                    "activity poll must stay top-level: \(poll)")
            let events = try await server.api.get("events/search/", query: ["workspace_id": ws.id])
            #expect(events.json?["events"].array != nil, "events must stay top-level: \(events)")
            // Fixtures work through the same accessor in both shapes.
            let folder = try await server.fx.createFolder(ws.context, name: "wrapped")
            #expect(Formats.isOpaqueId(folder, type: "2"))
        }
    }
}
