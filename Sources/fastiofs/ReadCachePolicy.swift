import Glibc

/// The read cache's default limits, from the size of the filesystem that holds the cache directory:
/// 10 % of it, at most 10 GiB; and 5 % of it left free, at most 1 GiB.
///
/// Invariant: an unknown filesystem size (the directory cannot be measured) gives the caps.
enum ReadCachePolicy {
    static let maximumDefaultSize: Int64 = 10 << 30
    static let maximumDefaultMinimumFree: Int64 = 1 << 30

    static func defaultSize(filesystemBytes: Int64?) -> Int64 {
        guard let filesystemBytes else { return maximumDefaultSize }
        return min(maximumDefaultSize, filesystemBytes / 10)
    }

    static func defaultMinimumFree(filesystemBytes: Int64?) -> Int64 {
        guard let filesystemBytes else { return maximumDefaultMinimumFree }
        return min(maximumDefaultMinimumFree, filesystemBytes / 20)
    }

    /// The size of the filesystem holding `directory` (or its nearest existing parent).
    static func filesystemBytes(of directory: String) -> Int64? {
        var path = directory
        while true {
            var fs = statvfs()
            if statvfs(path, &fs) == 0 {
                let (bytes, overflow) = Int64(fs.f_blocks).multipliedReportingOverflow(by: Int64(fs.f_frsize))
                return overflow ? nil : bytes
            }
            guard path != "/", let slash = path.lastIndex(of: "/") else { return nil }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
    }
}
