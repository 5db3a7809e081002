import Crypto
import Foundation
import GRDB

/// `fastio-emulator import`: loads a local tree into a workspace (created for the primary user if missing) in one
/// transaction. File bodies are streamed into the blob store while hashing; one `sync()` makes them durable before
/// the metadata commit. Existing folders are reused; an existing file gets a new version.
public struct Importer: Sendable {
    public let dataDirectory: String
    public let workspace: String
    public let source: String

    public init(dataDirectory: String, workspace: String, source: String) {
        self.dataDirectory = dataDirectory; self.workspace = workspace; self.source = source
    }

    /// Entry counts of an import.
    public struct Summary: Sendable { public let folders: Int; public let files: Int; public let bytes: Int64 }

    private struct Entry { let relative: [String]; let isDirectory: Bool; let path: String }

    public func run() throws -> Summary {
        let store = try Store(dataDirectory: dataDirectory)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir), isDir.boolValue else {
            throw ImportFailure("source is not a directory: \(source)")
        }
        var entries: [Entry] = []
        try walk(source, relative: [], into: &entries)
        // Blobs first (outside the transaction), then one sync, then metadata.
        var contents: [String: (String, Int64)] = [:]
        for e in entries where !e.isDirectory {
            contents[e.path] = try store.blobs.assembleUnsynced(source: e.path)
        }
        sync()
        defer { for (hash, _) in contents.values { store.blobs.pins.unpin(hash) } }
        let owner = try store.primaryUserId
        var folders = 0
        var files = 0
        var bytes: Int64 = 0
        try store.pool.write { db in
            let ws = try Access.workspace(db, workspace)
                ?? Profiles.createWorkspace(db, folderName: workspace, name: workspace.count >= 2 ? workspace : workspace + " workspace",
                                            description: nil, owner: owner)
            let now = Timestamps.nowMicros()
            var folderIds: [String: String] = ["": "root"]
            for e in entries {
                let parentKey = e.relative.dropLast().joined(separator: "/")
                let parent = folderIds[parentKey]!
                let name = e.relative.last!
                let existing = try NodeLookup.nameTaken(db, storage: ws.id, parent: parent, name: name)
                if e.isDirectory {
                    if let existing, existing.isFolder {
                        folderIds[e.relative.joined(separator: "/")] = existing.id
                    } else {
                        let n = try Tree.create(db, storage: ws.id, parent: parent, name: name, type: "folder", content: nil, creator: owner, now: now)
                        folderIds[e.relative.joined(separator: "/")] = n.id
                        folders += 1
                    }
                    continue
                }
                let (hash, size) = contents[e.path]!
                let content = Tree.Content(blob: hash, size: size, uploadId: nil)
                if let existing, existing.type == "file" {
                    try Tree.newVersion(db, existing, content: content, operation: "update", now: now)
                } else {
                    try Tree.create(db, storage: ws.id, parent: parent, name: name, type: "file", content: content, creator: owner, now: now)
                }
                files += 1
                bytes += size
            }
            let ts = max(now, (try Int64.fetchOne(db, sql: "SELECT MAX(ts) FROM activity") ?? 0) + 1)
            try ActivityLog.bump(db, channel: ws.id, keys: ["storage"], ts: ts)
        }
        return Summary(folders: folders, files: files, bytes: bytes)
    }

    private func walk(_ dir: String, relative: [String], into entries: inout [Entry]) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        for name in names {
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let mode = st.st_mode & S_IFMT
            if mode == S_IFDIR {
                entries.append(Entry(relative: relative + [name], isDirectory: true, path: path))
                try walk(path, relative: relative + [name], into: &entries)
            } else if mode == S_IFREG {
                entries.append(Entry(relative: relative + [name], isDirectory: false, path: path))
            }
        }
    }
}

/// An import error with a message for the command line.
public struct ImportFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

extension BlobStore {
    /// Copies one local file into the store while hashing, without fsync (the importer syncs once for all).
    func assembleUnsynced(source: String) throws -> (String, Int64) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw POSIXFailure("open \(source)") }
        defer { close(fd) }
        let temp = tempPath()
        let sink = try FileSink(path: temp)
        var sha = SHA256()
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        do {
            try sink.append(from: fd, buffer: buffer) { sha.update(bufferPointer: $0) }
            close(sink.fd)
        } catch {
            sink.abandon()
            unlink(temp)
            throw error
        }
        let hash = sha.finalize().hex
        try commit(temp: temp, hash: hash)
        return (hash, sink.written)
    }
}
