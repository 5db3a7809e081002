import FastIO
import Foundation

/// Which failed uploads retrying cannot change: the server answered 400 (the request, a name or a
/// size it refuses), 403 (no permission), 404 or 410 (the folder or file is gone), 413, 414, 415 or
/// 422, about the file itself (not about an upload session, which the next attempt makes anew), or
/// the content cannot be sent at all (a note that is not UTF-8 text). Everything else (401, 402
/// quota, 409 lock, 429, 5xx, the network) may pass and is retried without end.
///
/// Invariant: pure; a refusal counts as permanent only when confirmed `confirmations` times in a
/// row (a folder not visible yet, a racing rename), after which the bytes are set aside.
enum UploadRefusal {
    static let permanentStatuses: Set<Int> = [400, 403, 404, 410, 413, 414, 415, 422]
    /// Consecutive permanent refusals after which the file's bytes are set aside.
    static let confirmations = 3

    static func isPermanent(_ error: any Error) -> Bool {
        if error is UnsendableContent { return true }
        guard let failure = error as? FastIOError, case .api = failure.kind, let status = failure.httpStatus else {
            return false
        }
        // An upload session that expired or failed is started anew by the next attempt.
        if let route = failure.route, route.hasPrefix("GET upload/") || route.hasPrefix("POST upload/") { return false }
        return permanentStatuses.contains(status)
    }
}

/// Content the API cannot carry (a Fast.io note must be UTF-8 text): refused for good, EINVAL.
struct UnsendableContent: Error, ErrnoProviding, CustomStringConvertible {
    let description: String
    var errno: Int32 { EINVAL }
}
