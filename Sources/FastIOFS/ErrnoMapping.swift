import Foundation

/// An error that knows the errno the kernel should see.
///
/// Invariant: `errno` is a positive POSIX errno. FastIOFS maps any thrown error to `FSError` through
/// `FSError.from(_:)`: `FSError` as is, `ErrnoProviding` (e.g. `FastIOError`) by its `errno`, else EIO.
public protocol ErrnoProviding: Error {
    var errno: Int32 { get }
}

extension FSError {
    /// The errno the kernel should see for `error` (see `ErrnoProviding`).
    public static func from(_ error: any Error) -> FSError {
        if let fsError = error as? FSError { return fsError }
        if let carrier = error as? any ErrnoProviding, carrier.errno > 0 {
            return FSError(carrier.errno, detail: String(describing: error))
        }
        return FSError(EIO, detail: String(describing: error))
    }
}
