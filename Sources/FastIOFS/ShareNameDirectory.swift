import FastIO
import Synchronization

/// Share id -> the POSIX name of its directory under `shares/`, for link node targets.
///
/// Invariants: a mounted share answers its mounted directory name without a request; any other share
/// is looked up in one `listShares` made at most once per mount (lazily, at the first link to an
/// unmounted share); an unknown share answers its id.
final class ShareNameDirectory: Sendable {
    private let api: any FastIOAPI
    private let mounted: [String: String]
    private let listed = Mutex<[String: String]?>(nil)

    init(api: any FastIOAPI, mounted profiles: [MountedProfile]) {
        self.api = api
        var names: [String: String] = [:]
        for profile in profiles where profile.profile.kind == .share {
            names[profile.profile.id] = profile.directoryName
        }
        mounted = names
    }

    func name(of shareID: String) -> String {
        if let name = mounted[shareID] { return name }
        return listed.withLock { listed in
            if listed == nil {
                var names: [String: String] = [:]
                for share in (try? api.listShares()) ?? [] {
                    names[share.id] = ProfileResolver.directoryName(share.customName, id: share.id)
                }
                listed = names
            }
            return listed?[shareID] ?? shareID
        }
    }
}
