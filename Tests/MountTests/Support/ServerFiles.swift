import EmulatorHarness
import Foundation

/// Reads what the server holds for a path of the test workspace through the public API (not the
/// mount), so a test can prove data arrived. Every request is retried a few times, because some
/// tests run against an emulator that injects faults.
///
/// Invariant: `path` is relative to the workspace root, `/`-separated, with POSIX-safe names.
struct ServerFiles {
    let fixtures: Fixtures
    let context: StorageContext

    init(_ emulator: EmulatorProcess, workspace: String = SourceTree.workspaceName) {
        fixtures = Fixtures(emulator.api)
        context = .workspace(workspace)
    }

    /// The node id at `path`, or nil when a component does not exist.
    func nodeID(_ path: String) async throws -> String? {
        var folder = "root"
        for name in path.split(separator: "/").map(String.init) {
            let items = try await retrying { try await fixtures.listAll(context, folder) }
            guard let id = items.first(where: { $0["name"].string == name })?["id"].stringish else { return nil }
            folder = id
        }
        return folder
    }

    /// The names in the folder at `path`.
    func names(_ path: String) async throws -> Set<String> {
        Set(try await children(path).keys)
    }

    /// The node ids of the children of the folder at `path`, by name (one listing).
    func children(_ path: String) async throws -> [String: String] {
        guard let id = try await nodeID(path) else { throw MountTestError("no folder \(path) on the server") }
        var ids: [String: String] = [:]
        for item in try await retrying({ try await fixtures.listAll(context, id) }) {
            if let name = item["name"].string, let child = item["id"].stringish { ids[name] = child }
        }
        return ids
    }

    /// The current content of node `id`.
    func content(id: String) async throws -> Data {
        try await retrying { try await fixtures.read(context, id) }
    }

    /// The current content of the file at `path`.
    func content(_ path: String) async throws -> Data {
        guard let id = try await nodeID(path) else { throw MountTestError("no file \(path) on the server") }
        return try await retrying { try await fixtures.read(context, id) }
    }

    /// The SHA-256 of `data` (hex), computed by sha256sum (fast in debug builds).
    static func sha256(_ data: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fastiofs-sha-\(UUID().uuidString)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try sha256(file: file.path)
    }

    static func sha256(file: String) throws -> String {
        let result = try Shell.run("sha256sum \(Shell.quote(file))")
        guard result.status == 0, let hex = result.stdout.split(separator: " ").first else {
            throw MountTestError("sha256sum \(file) failed: \(result.stderr)")
        }
        return String(hex)
    }

    private func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch {
                attempt += 1
                if attempt >= 8 { throw error }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
        }
    }
}
