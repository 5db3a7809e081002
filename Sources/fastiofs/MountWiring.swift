import FastIO
import FastIOFS
import FastIOFSMetrics
import Foundation
import Logging

// The one place `fastiofs mount` meets the API client and the filesystem core.

/// Builds the filesystem for a mount request: API URL and token from the client's resolvers, a
/// token check (clear message for a bad token or unreachable server), then the core.
enum MountWiring {
    /// The client and the core of one mount; the core sends every request through this client (so
    /// the client's counts are the mount's).
    struct Core {
        let client: FastIOClient
        let filesystem: FastIOFileSystem
    }

    static func makeCore(_ request: MountRequest, environment: [String: String],
                         logger: Logger) throws(CommandFailure) -> Core {
        let baseURL: URL
        do {
            baseURL = try FastIOEndpoint.resolve(apiURL: request.apiURL, environment: environment)
        } catch {
            throw CommandFailure("invalid API URL: \(error)")
        }
        let token: String
        do {
            token = try FastIOCredentials.resolve(tokenFile: request.tokenFile, environment: environment)
        } catch {
            throw CommandFailure("no usable Fast.io credentials: \(error)")
        }
        let client = FastIOClient(baseURL: baseURL, token: token, logger: logger)
        do {
            _ = try client.authCheck()
        } catch let error as FastIOError where error.errno == EACCES {
            throw CommandFailure("the Fast.io API at \(baseURL.absoluteString) did not accept the token: \(error.message)")
        } catch {
            throw CommandFailure("cannot reach the Fast.io API at \(baseURL.absoluteString): \(error)")
        }
        var configuration = MountConfiguration(
            layout: MountLayout.from(workspaces: request.workspaces, shares: request.shares),
            mountpoint: request.mountpoint)
        configuration.readOnly = request.effectiveReadOnly
        configuration.uid = request.options.uid ?? getuid()
        configuration.gid = request.options.gid ?? getgid()
        if let umask = request.options.umask { configuration.umask = umask }
        configuration.directIO = request.options.directIO
        if let ttl = request.metadataTTL { configuration.metadataTTL = ttl }
        configuration.cacheDirectory = request.cacheDirectory
        let cacheFilesystem = ReadCachePolicy.filesystemBytes(of: request.cacheDirectory)
        configuration.readCacheSize = request.readCacheSize ?? ReadCachePolicy.defaultSize(filesystemBytes: cacheFilesystem)
        configuration.readCacheMinimumFree = request.readCacheMinFree
            ?? ReadCachePolicy.defaultMinimumFree(filesystemBytes: cacheFilesystem)
        if let ttl = request.coherentTTL {
            configuration.coherentTTL = ttl
            configuration.activityPolling = ttl > 0
        }
        if let wait = request.activityWait { configuration.activityWait = wait }
        do {
            return Core(client: client,
                        filesystem: try FastIOFileSystem(api: client, configuration: configuration, logger: logger))
        } catch {
            throw CommandFailure("cannot open the mount: \(error)")
        }
    }

    /// `--metrics-addr`: binds and serves before the mount exists, so a taken port fails the mount.
    static func startMetrics(_ request: MountRequest, core: Core,
                             logger: Logger) throws(CommandFailure) -> MetricsEndpoint? {
        guard let address = request.metricsAddress else { return nil }
        do {
            return try MetricsEndpoint(address: address, client: core.client, filesystem: core.filesystem, logger: logger)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
