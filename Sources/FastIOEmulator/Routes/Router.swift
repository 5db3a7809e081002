import GRDB
import Hummingbird

/// Maps method + path segments below `/current/` to handlers. A known path with the wrong method is 400/1651;
/// an unknown path is 404/9992.
struct Router: Sendable {
    let emulator: Emulator

    var db: DatabasePool { emulator.db }

    func dispatch(_ c: Call, request: Request, context: EmulatorContext) async throws -> Reply {
        let s = c.segments
        let m = c.method
        func on(_ methods: HTTPRequest.Method..., run: () async throws -> Reply) async throws -> Reply {
            guard methods.contains(m) || (m == .head && methods.contains(.get)) else { throw APIError.wrongMethod }
            return try await run()
        }
        if !["read", "readnote"].contains(s.last ?? "") { _ = try OutputLevel(c) }
        switch s.count {
        case 2 where s == ["orgs", "list"]: return try await on(.get) { try await orgsList(c) }
        case 3 where s == ["orgs", "list", "external"]: return try await on(.get) { .ok([("orgs", []), ("pagination", Pagination.json(total: 0, limit: 100, offset: 0))]) }
        case 3 where s == ["user", "auth", "check"]: return try await on(.get) { try await authCheck(c) }
        case 3 where s == ["user", "me", "details"]: return try await on(.get) { try await userDetails(c) }
        case 2 where s == ["user", "details"]: return try await on(.get) { try await userDetails(c) }
        case 4 where s == ["user", "me", "list", "shares"]: return try await on(.get) { try await sharesAll(c) }
        case 2 where s == ["workspaces", "all"]: return try await on(.get) { try await workspacesAll(c) }
        case 2 where s == ["workspaces", "available"]: return try await on(.get) { try await workspacesAvailable(c) }
        case 2 where s == ["shares", "available"]: return try await on(.get) { try await sharesAll(c) }
        case 4 where s[0] == "workspaces" && s[1] == "check" && s[2] == "name": return try await on(.get) { try await checkWorkspaceName(c, s[3]) }
        case 4 where s[0] == "shares" && s[1] == "check" && s[2] == "name": return try await on(.get) { try await checkShareName(c, s[3]) }
        case 3 where (s[0] == "workspace" || s[0] == "share") && s[2] == "member": return try await on(.delete) { try await leave(c, kind: s[0], s[1]) }
        case 5 where (s[0] == "workspace" || s[0] == "share") && s[2] == "member" && s[4] == "details":
            return try await on(.get) { try await memberDetails(c, kind: s[0], s[1], member: s[3]) }
        case 5 where (s[0] == "workspace" || s[0] == "share") && s[2] == "member" && s[4] == "update":
            return try await on(.post) { try await memberUpdate(c, kind: s[0], s[1], member: s[3]) }
        case 3 where s[0] == "event" && s[2] == "details": return try await on(.get) { try await eventDetails(c, s[1]) }
        case 2 where s == ["shares", "all"]: return try await on(.get) { try await sharesAll(c) }
        case 3 where s[0] == "org" && s[2] == "details": return try await on(.get) { try await orgDetails(c, s[1]) }
        case 4 where s[0] == "org" && s[2] == "create" && s[3] == "workspace": return try await on(.post) { try await createWorkspace(c, org: s[1]) }
        case 4 where s[0] == "org" && s[2] == "list" && s[3] == "workspaces": return try await on(.get) { try await orgWorkspaces(c, org: s[1]) }
        case 3 where s[0] == "workspace" && s[2] == "details": return try await on(.get) { try await workspaceDetails(c, s[1]) }
        case 4 where (s[0] == "workspace" || s[0] == "share") && s[2] == "members" && s[3] == "list":
            return try await on(.get) { try await membersList(c, kind: s[0], s[1]) }
        case 4 where (s[0] == "workspace" || s[0] == "share") && s[2] == "members":
            return try await on(.post, .delete) { m == .post ? try await memberAdd(c, kind: s[0], s[1], who: s[3]) : try await memberRemove(c, kind: s[0], s[1], who: s[3]) }
        case 4 where s[0] == "workspace" && s[2] == "create" && s[3] == "share": return try await on(.post) { try await createShare(c, workspace: s[1]) }
        case 4 where s[0] == "workspace" && s[2] == "list" && s[3] == "shares": return try await on(.get) { try await workspaceShares(c, s[1]) }
        case 3 where s[0] == "share" && s[2] == "details": return try await on(.get) { try await shareDetails(c, s[1]) }
        case 2 where s == ["activity", "poll"]: return try await on(.get) { try await activityPoll(c, profile: nil) }
        case 3 where s[0] == "activity" && s[1] == "poll": return try await on(.get) { try await activityPoll(c, profile: s[2]) }
        case 2 where s == ["events", "search"]: return try await on(.get) { try await eventsSearch(c) }
        default: break
        }
        if s.count >= 3, s[0] == "workspace" || s[0] == "share", s[2] == "storage" {
            return try await storage(c, kind: s[0], profile: s[1], rest: Array(s[3...]), request: request, context: context)
        }
        if s.first == "upload" {
            return try await upload(c, rest: Array(s.dropFirst()), request: request)
        }
        throw APIError.unknownRoute
    }

    private func storage(_ c: Call, kind: String, profile: String, rest r: [String], request: Request, context: EmulatorContext) async throws -> Reply {
        let m = c.method
        func on(_ methods: HTTPRequest.Method..., run: () async throws -> Reply) async throws -> Reply {
            guard methods.contains(m) || (m == .head && methods.contains(.get)) else { throw APIError.wrongMethod }
            return try await run()
        }
        if kind == "share", r.count == 2, ["createnote", "updatenote", "addlink"].contains(r[1]) { throw APIError.notInShares }
        let scope = try await emulator.db.read { db in
            try Access.scope(db, kind: kind, idOrName: profile, user: c.user?.id)
        }
        if c.user == nil {
            guard r.count == 2, r[1] == "read" else { throw APIError.auth }
        }
        switch r.count {
        case 1 where r[0] == "recent": return try await on(.get) { try await recent(c, scope) }
        case 1 where r[0] == "search": return try await on(.get) { try await search(c, scope) }
        case 2:
            let id = r[0]
            switch r[1] {
            case "list": return try await on(.get) { try await list(c, scope, folder: id) }
            case "details": return try await on(.get) { try await details(c, scope, ids: id) }
            case "read", "readnote": return try await on(.get, .head) { try await read(c, scope, id: id) }
            case "requestread": return try await on(.get) { try await requestRead(c, scope, id: id) }
            case "createfolder": return try await on(.post) { try await createFolder(c, scope, parent: id) }
            case "addfile": return try await on(.post) { try await addFile(c, scope, parent: id) }
            case "addlink": return try await on(.post) { try await addLink(c, scope, parent: id) }
            case "createnote": return try await on(.post) { try await createNote(c, scope, parent: id) }
            case "updatenote": return try await on(.post) { try await updateNote(c, scope, id: id) }
            case "update": return try await on(.post) { try await update(c, scope, id: id) }
            case "move": return try await on(.post) { try await move(c, scope, id: id) }
            case "copy": return try await on(.post) { try await copy(c, scope, id: id) }
            case "delete": return try await on(.delete, .post) { id.lowercased() == "trash" ? try await emptyTrash(c, scope) : try await delete(c, scope, id: id) }
            case "restore": return try await on(.post) { try await restore(c, scope, id: id) }
            case "purge": return try await on(.delete, .post) { try await purge(c, scope, id: id) }
            case "versions": return try await on(.get) { try await versions(c, scope, id: id) }
            case "restore-version": return try await on(.post) { try await restoreVersion(c, scope, id: id) }
            case "lock":
                return try await on(.post, .get, .delete) {
                    switch m {
                    case .post: return try await lockAcquire(c, scope, id: id)
                    case .get: return try await lockStatus(c, scope, id: id)
                    default: return try await lockRelease(c, scope, id: id)
                    }
                }
            default: break
            }
        case 3 where r[1] == "lock" && r[2] == "heartbeat": return try await on(.post) { try await lockHeartbeat(c, scope, id: r[0]) }
        default: break
        }
        throw APIError.unknownRoute
    }
}


