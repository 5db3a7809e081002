import FastIO
import Logging

/// Share id -> the POSIX name of its directory under `shares/`, for link node targets.
///
/// Invariants: only a valid share id (`isShareID`: a numeric profile id or a well-formed OpaqueId, so
/// never `/`, `.` or anything else a path could step with) gets a name; a mounted share answers its
/// mounted directory name without a request; any other share is looked up in one `listShares` made at
/// most once per mount (lazily, at the first link to an unmounted share; no lock is held during it,
/// later callers wait for its answer); an unknown share answers its id. Every answer is one POSIX name
/// component (`ProfileResolver.directoryName` escapes), so `shares/<answer>` stays inside `shares/`.
final class ShareNameDirectory: Sendable {
    private enum Listing {
        case notAsked
        case inFlight
        case done([String: String])
    }

    private let api: any FastIOAPI
    private let logger: Logger
    private let mounted: [String: String]
    private let listed = ConditionLocked(Listing.notAsked)

    init(api: any FastIOAPI, mounted profiles: [MountedProfile], logger: Logger) {
        self.api = api
        self.logger = logger
        var names: [String: String] = [:]
        for profile in profiles where profile.profile.kind == .share {
            names[profile.profile.id] = profile.directoryName
        }
        mounted = names
    }

    /// True for an id a share can have: a numeric profile id (Fast.io's are 19 digits) or a
    /// well-formed OpaqueId. A link node's `target_id` is server input: anything else is refused.
    static func isShareID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        if (10...20).contains(bytes.count), bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return true
        }
        return OpaqueID.isWellFormed(id) && OpaqueID.canonical(id) == id
    }

    /// The directory name of share `shareID` under `shares/`, or nil when `shareID` is not a valid id.
    func name(of shareID: String) -> String? {
        guard Self.isShareID(shareID) else { return nil }
        if let name = mounted[shareID] { return name }
        let mustList = listed.withLock { listing -> Bool in
            guard case .notAsked = listing else { return false }
            listing = .inFlight
            return true
        }
        if mustList {
            let names = listShares()
            listed.withLock { $0 = .done(names) }
        }
        let names = listed.wait { listing -> [String: String]? in
            if case .done(let names) = listing { return names }
            return nil
        }
        return names?[shareID] ?? shareID
    }

    /// Every visible share's directory name; none (links show their share ids) when the listing fails.
    private func listShares() -> [String: String] {
        let shares: [ShareInfo]
        do {
            shares = try api.listShares()
        } catch {
            logger.warning("cannot list shares for link targets; links to unmounted shares name their share ids",
                           metadata: ["error": "\(error)"])
            return [:]
        }
        var names: [String: String] = [:]
        for share in shares where Self.isShareID(share.id) {
            names[share.id] = ProfileResolver.directoryName(share.customName, id: share.id)
        }
        return names
    }
}
