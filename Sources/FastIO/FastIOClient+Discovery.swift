extension FastIOClient {
    public func authCheck() throws -> String {
        let payload = try call(APIRequest(.get, "user/auth/check/", route: "GET user/auth/check"))
        guard let id = payload["id"]?.stringValue ?? payload["user"]?["id"]?.stringValue
            ?? payload["profile_id"]?.stringValue else {
            throw FastIOError(kind: .invalidResponse, message: "auth check answer has no user id",
                              route: "GET user/auth/check")
        }
        return id
    }

    public func listWorkspaces() throws -> [WorkspaceInfo] {
        try listAllPages(path: "workspaces/all/", route: "GET workspaces/all", key: "workspaces")
            .compactMap(WorkspaceInfo.init(json:))
    }

    public func workspaceDetails(_ idOrFolderName: String) throws -> WorkspaceInfo {
        let route = "GET workspace/details"
        let payload = try call(APIRequest(.get, "workspace/\(Self.segment(idOrFolderName))/details/", route: route))
        guard let info = WorkspaceInfo(json: payload["workspace"] ?? payload) else {
            throw FastIOError(kind: .invalidResponse, message: "workspace details without an id", route: route)
        }
        return info
    }

    public func listShares() throws -> [ShareInfo] {
        try listAllPages(path: "shares/all/", route: "GET shares/all", key: "shares")
            .compactMap(ShareInfo.init(json:))
    }

    public func shareDetails(_ idOrCustomName: String) throws -> ShareInfo {
        let route = "GET share/details"
        let payload = try call(APIRequest(.get, "share/\(Self.segment(idOrCustomName))/details/", route: route))
        guard let info = ShareInfo(json: payload["share"] ?? payload) else {
            throw FastIOError(kind: .invalidResponse, message: "share details without an id", route: route)
        }
        return info
    }

    /// Follows `limit`/`offset` pages until `pagination.has_more` is false (or, without a
    /// pagination object, until a short page). Entries the user can only join (`user_status`
    /// `invited`/`available`) are left out: their storage is not readable yet. Pages that make no
    /// progress (every id on them seen before) or never end (`maximumDiscoveryPages`) end in EIO, logged.
    func listAllPages(path: String, route: String, key: String) throws -> [JSONValue] {
        let limit = max(1, configuration.discoveryPageSize)
        var all: [JSONValue] = []
        var seen: Set<String> = []
        var offset = 0
        for page in 1... {
            let payload = try call(APIRequest(.get, path, route: route,
                                              query: [("limit", String(limit)), ("offset", String(offset))]))
            let items = payload[key]?.arrayValue ?? payload[key]?.objectValue.map { Array($0.values) } ?? []
            all.append(contentsOf: items.filter { item in
                let status = item["user_status"]?.stringValue?.lowercased()
                return status != "invited" && status != "available"
            })
            let hasMore = payload["pagination"]?["has_more"]?.boolValue ?? (items.count >= limit)
            guard hasMore, !items.isEmpty else { break }
            let ids = items.compactMap { $0["id"]?.stringValue }
            let newIDs = ids.filter { seen.insert($0).inserted }.count
            var stall: String?
            if !ids.isEmpty && newIDs == 0 {
                stall = "page \(page) (offset \(offset)) repeats entries already listed"
            } else if page >= Self.maximumDiscoveryPages {
                stall = "the listing did not end within \(Self.maximumDiscoveryPages) pages"
            }
            if let stall {
                logger.warning("\(route) ended with EIO: \(stall)")
                throw FastIOError(kind: .invalidResponse, message: stall, route: route)
            }
            offset += items.count
        }
        return all
    }

    /// Discovery pages followed at most (at 500 a page, 5,000,000 workspaces or shares).
    static let maximumDiscoveryPages = 10_000
}

extension FastIOClient: WorkspaceRoleDiscovering {
    public func workspaceRole(workspaceID: String, userID: String) throws -> String {
        let route = "GET workspace/member/details"
        let payload = try call(APIRequest(
            .get, "workspace/\(Self.segment(workspaceID))/member/\(Self.segment(userID))/details/", route: route))
        guard let role = (payload["member"] ?? payload)["permissions"]?.stringValue, !role.isEmpty else {
            throw FastIOError(kind: .invalidResponse, message: "member details without permissions", route: route)
        }
        return role.lowercased()
    }
}
