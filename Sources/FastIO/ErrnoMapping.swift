import Glibc

/// The one table from Fast.io answers to POSIX errno values.
///
/// Invariant: an API error code the table knows wins over the HTTP status (the same code has come
/// with different statuses over time, e.g. rename conflicts were 500 before 2026-06-14); unknown
/// answers fall back to the status class, and everything unrecognised is `EIO`.
public enum ErrnoMapping {
    public static func errno(httpStatus: Int?, apiCode: Int?) -> Int32 {
        if let apiCode, let mapped = byAPICode[apiCode] { return mapped }
        guard let status = httpStatus else { return EIO }
        switch status {
        case 400, 406, 422: return EINVAL
        case 401, 403: return EACCES
        case 402: return EDQUOT
        case 404, 410: return ENOENT
        case 408: return ETIMEDOUT
        case 409, 423: return EBUSY
        case 413: return EFBIG
        case 416: return EINVAL
        case 429: return EAGAIN
        case 500...599: return EIO
        default: return EIO
        }
    }

    public static func errno(for failure: TransportFailure) -> Int32 {
        switch failure.reason {
        case .timedOut: return ETIMEDOUT
        case .cancelled: return ECANCELED
        case .connectFailed, .resolveFailed, .connectionLost, .tlsFailed, .other: return EIO
        }
    }

    static let byAPICode: [Int: Int32] = [
        1605: EINVAL,   // invalid input (also name conflicts; call sites that know map to EEXIST)
        1609: ENOENT,   // not found
        1650: EACCES,   // authentication invalid
        1680: EACCES,   // access denied
        10545: EACCES,  // authenticated but not a member
        115069: EACCES, // not shared with caller
        1660: EBUSY,    // conflict (CAS)
        1688: EDQUOT,   // subscription required
        1696: EDQUOT,   // credit limit
        1671: EAGAIN,   // rate limited
        145858: EAGAIN, // rate limited
    ]
}
