import FastIO
import Foundation

/// Turns the configured layout into the list of profiles to mount, through the API.
///
/// Invariants: a `.single` layout yields exactly one profile; a `.multi` layout with both lists empty
/// yields every workspace and share the token can see, otherwise exactly the ones named; each
/// profile's `directoryName` is a valid POSIX name unique within its kind (duplicates get `~<id>`).
/// An unknown name fails with ENOENT and a detail naming it.
enum ProfileResolver {
    static func resolve(_ layout: MountLayout, api: any FastIOAPI) throws(FSError) -> [MountedProfile] {
        switch layout {
        case .single(.workspace(let name)):
            let workspace = try workspace(name, api: api)
            return [MountedProfile(profile: StorageProfile(kind: .workspace, id: workspace.id),
                                   directoryName: directoryName(workspace.folderName, id: workspace.id))]
        case .single(.share(let name)):
            let share = try share(name, api: api)
            return [MountedProfile(profile: StorageProfile(kind: .share, id: share.id),
                                   directoryName: directoryName(share.customName, id: share.id),
                                   shareAccess: share.access)]
        case .multi(let workspaceNames, let shareNames):
            let everything = workspaceNames.isEmpty && shareNames.isEmpty
            let workspaces: [WorkspaceInfo]
            let shares: [ShareInfo]
            if everything {
                workspaces = try call("list workspaces") { try api.listWorkspaces() }
                shares = try call("list shares") { try api.listShares() }
            } else {
                var foundWorkspaces: [WorkspaceInfo] = []
                for name in workspaceNames { foundWorkspaces.append(try workspace(name, api: api)) }
                var foundShares: [ShareInfo] = []
                for name in shareNames { foundShares.append(try share(name, api: api)) }
                workspaces = foundWorkspaces
                shares = foundShares
            }
            let workspaceProfiles = unique(workspaces.map {
                (StorageProfile(kind: .workspace, id: $0.id), directoryName($0.folderName, id: $0.id), nil)
            })
            let shareProfiles = unique(shares.map {
                (StorageProfile(kind: .share, id: $0.id), directoryName($0.customName, id: $0.id), $0.access)
            })
            return workspaceProfiles + shareProfiles
        }
    }

    /// The POSIX directory name for a server name, falling back to the id when it has none (escaped
    /// too: an id is server input, and this name is one path component).
    static func directoryName(_ name: String?, id: String) -> String {
        guard let name, !name.isEmpty else { return PosixName.encode(id) }
        return PosixName.encode(name)
    }

    private static func workspace(_ name: String, api: any FastIOAPI) throws(FSError) -> WorkspaceInfo {
        try call("workspace '\(name)'") { try api.workspaceDetails(name) }
    }

    private static func share(_ name: String, api: any FastIOAPI) throws(FSError) -> ShareInfo {
        try call("share '\(name)'") { try api.shareDetails(name) }
    }

    private static func call<T>(_ what: String, _ body: () throws -> T) throws(FSError) -> T {
        do {
            return try body()
        } catch {
            let mapped = FSError.from(error)
            let reason: String
            switch mapped.errno {
            case ENOENT: reason = "no \(what) is visible to this token"
            case EACCES: reason = "this token may not see \(what) (\(mapped.detail ?? mapped.description))"
            default: reason = "could not resolve \(what) (\(mapped.detail ?? mapped.description))"
            }
            throw FSError(mapped.errno, detail: reason)
        }
    }

    private static func unique(_ profiles: [(StorageProfile, String, ShareAccess?)]) -> [MountedProfile] {
        var seen = Set<String>()
        var seenIDs = Set<String>()
        var result: [MountedProfile] = []
        for (profile, name, access) in profiles where seenIDs.insert(profile.id).inserted {
            let finalName = seen.contains(name) ? "\(name)~\(profile.id)" : name
            seen.insert(finalName)
            result.append(MountedProfile(profile: profile, directoryName: finalName, shareAccess: access))
        }
        return result
    }
}
