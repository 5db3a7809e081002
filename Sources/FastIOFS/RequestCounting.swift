/// An API object that counts the requests it sent, keyed by route template (e.g. `GET storage/list`).
///
/// Invariant: counts only grow and `requestCounts()` is safe to call from any thread. FastIOFS exposes
/// them as JSON in the root's `user.fastio.requests` xattr when the API object conforms; the FastIO
/// client conforms retroactively (`extension FastIOClient: RequestCounting {}`), since FastIO cannot
/// import FastIOFS.
public protocol RequestCounting {
    func requestCounts() -> [String: Int]
    /// Requests sent and not answered yet, by route (`user.fastio.requests_in_flight`: a test that
    /// counts requests waits until none but the activity long-poll runs, since a request is counted
    /// when it ends).
    func requestsInFlight() -> [String: Int]
}
