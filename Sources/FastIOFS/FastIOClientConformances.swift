import FastIO

// The client's types speak the core's small protocols; FastIO cannot import FastIOFS, so the
// conformances live here.

/// `FastIOError` carries the errno its HTTP status or transport failure maps to.
extension FastIOError: ErrnoProviding {}

/// The client counts requests per route; the root's `user.fastio.requests` xattr shows them.
extension FastIOClient: RequestCounting {}
