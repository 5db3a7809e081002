extension RemoteNode {
    /// Decodes a node object leniently: ids canonicalized, numbers accepted as strings, both
    /// timestamp spellings, `parent` or `parent_id`, unknown types read as files.
    /// Returns nil only when `id` or `name` is missing.
    public init?(json: JSONValue) {
        guard let rawID = json["id"]?.stringValue, !rawID.isEmpty,
              let name = json["name"]?.stringValue else { return nil }
        let typeText = json["type"]?.stringValue?.lowercased() ?? "file"
        let type: NodeType
        switch typeText {
        case "folder", "dir", "directory": type = .folder
        case "note": type = .note
        case "link": type = .link
        default: type = .file
        }
        let parentRaw = json["parent"]?.stringValue ?? json["parent_id"]?.stringValue ?? "root"
        var linkTarget: String?
        if type == .link {
            linkTarget = json["target_id"]?.stringValue ?? json["link_target_id"]?.stringValue
                ?? json["share_id"]?.stringValue ?? json["link"]?["target_id"]?.stringValue
                ?? json["share"]?.stringValue ?? json["share"]?["id"]?.stringValue
        }
        self.init(
            id: OpaqueID.canonical(rawID),
            name: name,
            type: type,
            parentID: parentRaw.isEmpty ? "root" : OpaqueID.canonical(parentRaw),
            size: json["size"]?.int64Value ?? 0,
            created: APITimestamp.parse(json["created"]),
            modified: APITimestamp.parse(json["modified"] ?? json["updated"]),
            version: json["version"]?.stringValue.flatMap { $0.isEmpty ? nil : OpaqueID.canonical($0) },
            hash: json["hash"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            hashAlgo: json["hash_algo"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            mimetype: json["mimetype"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            linkTargetID: linkTarget.map { OpaqueID.canonical($0) },
            locked: json["locked"]?.boolValue ?? false,
            creator: json["origin"]?["creator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
    }
}

extension WorkspaceInfo {
    /// `{id, folder_name, name}`; the id may be a JSON number.
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, !id.isEmpty else { return nil }
        let folderName = json["folder_name"]?.stringValue ?? id
        self.init(id: id, folderName: folderName, name: json["name"]?.stringValue ?? folderName)
    }
}

extension ShareInfo {
    /// `{id, custom_name, title, storage_mode | share_category}`.
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, !id.isEmpty else { return nil }
        let customName = json["custom_name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let title = (json["title"] ?? json["name"])?.stringValue
        let mode = json["storage_mode"]?.stringValue?.lowercased()
        let category = json["share_category"]?.stringValue?.lowercased()
        self.init(id: id, customName: customName, title: title,
                  isWorkspaceFolder: mode == "workspace_folder" || category == "shared_folder",
                  access: ShareAccess(json: json))
    }
}

extension ShareAccess {
    /// From a share object's `share_level` and `filesystem`; nil unless all four rights are understood
    /// (booleans may arrive as `"true"`/`"false"`; reaches are `all`, `owned`, `none`).
    public init?(json: JSONValue) {
        guard let filesystem = json["filesystem"],
              let fileCreation = filesystem["file_creation"]?.boolValue,
              let folderCreation = filesystem["folder_creation"]?.boolValue,
              let fileModification = filesystem["file_modification"]?.stringValue.flatMap({ Reach(rawValue: $0.lowercased()) }),
              let folderModification = filesystem["folder_modification"]?.stringValue.flatMap({ Reach(rawValue: $0.lowercased()) })
        else { return nil }
        self.init(level: json["share_level"]?.stringValue?.lowercased(), fileCreation: fileCreation,
                  folderCreation: folderCreation, fileModification: fileModification,
                  folderModification: folderModification)
    }
}

extension ActivityPoll {
    /// `{activity: {key: µs-timestamp, …} | [] | [key, …], lastactivity: "…"}`.
    public init(json: JSONValue) {
        var keys: [String] = []
        switch json["activity"] {
        case .object(let fields)?: keys = fields.keys.sorted()
        case .array(let items)?: keys = items.compactMap { $0.stringValue }
        default: break
        }
        let last = (json["lastactivity"] ?? json["last_activity"])?.stringValue
        self.init(keys: keys, lastActivity: last.flatMap { $0.isEmpty ? nil : $0 })
    }
}
