extension FastIOClient: CancellableActivityPolling {
    /// Page sizes the listing endpoint accepts (others are snapped by the server anyway).
    static func snappedPageSize(_ requested: Int) -> Int {
        requested <= 100 ? 100 : (requested <= 250 ? 250 : 500)
    }

    public func listFolder(_ profile: StorageProfile, folderID: String, pageSize: Int, cursor: String?) throws -> FolderPage {
        let route = "GET storage/list"
        var query = [("sort_by", "name"), ("sort_dir", "asc"), ("page_size", String(Self.snappedPageSize(pageSize)))]
        if let cursor, !cursor.isEmpty { query.append(("cursor", cursor)) }
        let payload = try call(APIRequest(.get, "\(profile.pathPrefix)/storage/\(Self.nodeSegment(folderID))/list/",
                                          route: route, query: query))
        let rawItems = payload["nodes"]?["items"]?.arrayValue ?? payload["nodes"]?.arrayValue
            ?? payload["items"]?.arrayValue ?? []
        var items: [RemoteNode] = []
        items.reserveCapacity(rawItems.count)
        for raw in rawItems {
            switch RemoteNode.decode(raw) {
            case .usable(let node, let adjustments):
                if !adjustments.isEmpty {
                    logger.warning("listing entry \(node.id) in \(profile) folder \(folderID): \(adjustments.joined(separator: "; "))")
                }
                items.append(node)
            case .rejected(let id, let reason):
                logger.warning("skipping listing entry \(id ?? "without an id") in \(profile) folder \(folderID): \(reason)")
            }
        }
        let pagination = payload["pagination"]
        var next = pagination?["next_cursor"]?.stringValue
        if pagination?["has_more"]?.boolValue == false || next?.isEmpty == true { next = nil }
        return FolderPage(items: items, nextCursor: next)
    }

    public func nodeDetails(_ profile: StorageProfile, nodeID: String) throws -> RemoteNode {
        let route = "GET storage/details"
        let payload = try call(APIRequest(.get, "\(profile.pathPrefix)/storage/\(Self.nodeSegment(nodeID))/details/",
                                          route: route))
        return try decodedNode(payload["node"] ?? payload["nodes"]?.arrayValue?.first ?? payload, route: route)
    }

    /// The node a single-node answer carries: its clamps and drops logged, a rejected node an error (EIO).
    func decodedNode(_ json: JSONValue, route: String) throws -> RemoteNode {
        switch RemoteNode.decode(json) {
        case .usable(let node, let adjustments):
            if !adjustments.isEmpty {
                logger.warning("\(route): node \(node.id): \(adjustments.joined(separator: "; "))")
            }
            return node
        case .rejected(let id, let reason):
            throw FastIOError(kind: .invalidResponse, message: "unusable node \(id ?? "without an id"): \(reason)",
                              route: route)
        }
    }

    public func pollActivity(profileID: String, wait: Int, lastActivity: String?) throws -> ActivityPoll {
        try pollActivity(profileID: profileID, wait: wait, lastActivity: lastActivity, cancellation: nil)
    }

    public func pollActivity(profileID: String, wait: Int, lastActivity: String?,
                             cancellation: TransferCancellation) throws -> ActivityPoll {
        try pollActivity(profileID: profileID, wait: wait, lastActivity: lastActivity, cancellation: Optional(cancellation))
    }

    private func pollActivity(profileID: String, wait: Int, lastActivity: String?,
                              cancellation: TransferCancellation?) throws -> ActivityPoll {
        let seconds = min(max(wait, 0), 95)
        var query = [("wait", String(seconds)), ("updated", "1")]
        if let lastActivity, !lastActivity.isEmpty { query.append(("lastactivity", lastActivity)) }
        var request = APIRequest(.get, "activity/poll/\(Self.segment(profileID))/", route: "GET activity/poll",
                                 query: query)
        request.serverWait = Double(seconds)
        request.cancellation = cancellation
        return ActivityPoll(json: try call(request))
    }
}
