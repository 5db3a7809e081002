import FastIOFS
import Foundation
import Logging

// The one place `fastiofs mount` meets the API client (branch `client`) and the filesystem core
// (branch `core`). Until both are merged the real wiring is compiled out behind the
// FASTIOFS_CORE_WIRED condition and mounting fails with a clear message.
// MERGE: delete the `#if`/`#else` branch below (or add `.define("FASTIOFS_CORE_WIRED")` to the
// fastiofs target) once FastIOClient, FastIOCredentials, FastIOEndpoint, FastIOFileSystem and
// MountConfiguration exist with the names used here; adjust the MountConfiguration initializer and
// ProfileSelector cases to the core's actual spelling.

#if FASTIOFS_CORE_WIRED
import FastIO

/// Builds the filesystem for a mount request: API URL and token from the client's resolvers, a
/// token check (clear message for a bad token or unreachable server), then the core.
enum MountWiring {
    static func makeFilesystem(_ request: MountRequest, environment: [String: String],
                               logger: Logger) throws(CommandFailure) -> any FilesystemOperations {
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
        } catch {
            throw CommandFailure("the Fast.io API at \(baseURL.absoluteString) did not accept the token: \(error)")
        }
        var configuration = MountConfiguration(layout: layout(for: request), mountpoint: request.mountpoint)
        configuration.readOnly = request.effectiveReadOnly
        configuration.uid = request.options.uid ?? getuid()
        configuration.gid = request.options.gid ?? getgid()
        if let umask = request.options.umask { configuration.umask = umask }
        if let ttl = request.metadataTTL { configuration.metadataTTL = ttl }
        do {
            return try FastIOFileSystem(api: client, configuration: configuration, logger: logger)
        } catch {
            throw CommandFailure("cannot open the mount: \(error)")
        }
    }

    /// Exactly one --workspace or --share: that storage root is the mount root. Otherwise the root
    /// lists workspaces/ and shares/ (all the token can see when none is named).
    static func layout(for request: MountRequest) -> MountConfiguration.Layout {
        switch (request.workspaces.count, request.shares.count) {
        case (1, 0): .single(.workspace(request.workspaces[0]))
        case (0, 1): .single(.share(request.shares[0]))
        default: .multi(workspaces: request.workspaces, shares: request.shares)
        }
    }
}
#else
/// Placeholder until the client and core branches are merged (see the MERGE note above).
enum MountWiring {
    static func makeFilesystem(_ request: MountRequest, environment: [String: String],
                               logger: Logger) throws(CommandFailure) -> any FilesystemOperations {
        throw CommandFailure("this build is not connected to the Fast.io client and filesystem core yet (built without FASTIOFS_CORE_WIRED)")
    }
}
#endif
