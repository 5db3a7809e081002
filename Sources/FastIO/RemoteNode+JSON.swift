import Foundation

extension RemoteNode {
    /// Decodes a node object leniently: ids canonicalized, numbers accepted as strings, both
    /// timestamp spellings, `parent` or `parent_id`, unknown types read as files. Nil when the entry
    /// cannot be used (`decode` says why).
    public init?(json: JSONValue) {
        guard case .usable(let node, _) = Self.decode(json) else { return nil }
        self = node
    }

    /// Decodes a node object, checking every value where it enters: an entry without `id` or `name`,
    /// or a file or note whose `size` is not a byte count (`0...Int64.max`), is rejected; a broken
    /// `size` of a folder or link (which show no size) is dropped; a time that is not a timestamp is
    /// dropped and one outside `APITimestamp.earliest...latest` clamped. Each drop or clamp is named in
    /// `adjustments`.
    public static func decode(_ json: JSONValue) -> NodeDecoding {
        guard let rawID = json["id"]?.stringValue, !rawID.isEmpty else {
            return .rejected(id: nil, reason: "no id")
        }
        let id = OpaqueID.canonical(rawID)
        guard let name = json["name"]?.stringValue else { return .rejected(id: id, reason: "no name") }
        let typeText = json["type"]?.stringValue?.lowercased() ?? "file"
        let type: NodeType
        switch typeText {
        case "folder", "dir", "directory": type = .folder
        case "note": type = .note
        case "link": type = .link
        default: type = .file
        }
        var adjustments: [String] = []
        var size: Int64 = 0
        switch json["size"] {
        case nil, .null?, .string("")?:
            break
        case let raw?:
            if let bytes = raw.int64Value, bytes >= 0 {
                size = bytes
            } else if type == .file || type == .note {
                return .rejected(id: id, reason: "size \(NodeDecoding.describe(raw)) is not a byte count")
            } else {
                adjustments.append("size \(NodeDecoding.describe(raw)) ignored")
            }
        }
        func time(_ field: String, _ value: JSONValue?) -> Date? {
            let reading = APITimestamp.read(value)
            switch reading {
            case .absent, .valid: break
            case .unreadable(let text): adjustments.append("\(field) \(text) is no time, ignored")
            case .clamped(let date, let text): adjustments.append("\(field) \(text) out of range, taken as \(date)")
            }
            return reading.date
        }
        let created = time("created", json["created"])
        let modified = time("modified", json["modified"] ?? json["updated"])
        let parentRaw = json["parent"]?.stringValue ?? json["parent_id"]?.stringValue ?? "root"
        var linkTarget: String?
        if type == .link {
            linkTarget = json["target_id"]?.stringValue ?? json["link_target_id"]?.stringValue
                ?? json["share_id"]?.stringValue ?? json["link"]?["target_id"]?.stringValue
                ?? json["share"]?.stringValue ?? json["share"]?["id"]?.stringValue
        }
        let node = RemoteNode(
            id: id,
            name: name,
            type: type,
            parentID: parentRaw.isEmpty ? "root" : OpaqueID.canonical(parentRaw),
            size: size,
            created: created,
            modified: modified,
            version: json["version"]?.stringValue.flatMap { $0.isEmpty ? nil : OpaqueID.canonical($0) },
            hash: json["hash"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            hashAlgo: json["hash_algo"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            mimetype: json["mimetype"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            linkTargetID: linkTarget.map { OpaqueID.canonical($0) },
            locked: json["locked"]?.boolValue ?? false,
            creator: json["origin"]?["creator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
        return .usable(node, adjustments: adjustments)
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
