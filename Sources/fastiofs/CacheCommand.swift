import ArgumentParser
import FastIOFS
import Foundation
import Logging

/// `fastiofs cache clear MOUNTPOINT|CACHEDIR`: empties the persistent read cache of a live mount (its
/// directory comes from the mount root's `user.fastio.read_cache`) or of a cache directory. The write
/// spool beside it is never touched.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Manage the persistent read cache.", subcommands: [Clear.self])

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear", abstract: "Empty the read cache of a mount or a cache directory (uploads are kept).")

        @Argument(help: "A fastiofs mountpoint, or a cache directory (--cache-dir).")
        var path: String

        func run() throws {
            let target = AbsolutePath.make(path)
            let directory: String
            if let cache = MountStatus.readCache(target) {
                guard let cacheDirectory = cache["directory"] as? String else {
                    throw CommandFailure("the mount at \(target) has no read cache")
                }
                directory = cacheDirectory
            } else if FileManager.default.fileExists(atPath: target + "/read/blocks") {
                directory = target + "/read"
            } else if FileManager.default.fileExists(atPath: target + "/blocks") {
                directory = target
            } else {
                throw CommandFailure("\(target) is neither a fastiofs mount nor a cache directory with a read cache")
            }
            var logger = Logger(label: "fastiofs") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .warning
            let (removed, failed) = BlockCache.clear(directory: directory, logger: logger)
            print("read cache in \(directory): \(ByteCount.text(Int(removed))) removed"
                  + (failed > 0 ? ", \(failed) blocks could not be removed" : ""))
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
