import Synchronization

/// A flag that aborts a running request (a long-poll, typically) from another thread.
///
/// Invariant: once cancelled it stays cancelled; `cancel()` and `isCancelled` are safe from any thread.
/// A transfer that sees the flag aborts within about a second (libcurl calls the progress callback
/// at least once per second while a transfer is running) and fails with reason `.cancelled`, which
/// is never retried.
public final class TransferCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public func cancel() { cancelled.store(true, ordering: .releasing) }

    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
}

/// An API whose activity long-poll can be aborted from another thread (the libcurl client is one;
/// the filesystem core falls back to plain `pollActivity` for APIs that are not).
public protocol CancellableActivityPolling: Sendable {
    /// As `FastIOAPI.pollActivity`, but aborts (throwing a `.cancelled` transport failure) soon after
    /// `cancellation` is cancelled, also while waiting to retry.
    func pollActivity(profileID: String, wait: Int, lastActivity: String?,
                      cancellation: TransferCancellation) throws -> ActivityPoll
}
