import FastIO
import Foundation

/// File handles: `open` pins the version, `read` goes through the handle's `RangeStreamer`.
extension FastIOFileSystem {
    public func open(ino: UInt64, flags: Int32, context: RequestContext) throws(FSError) -> OpenedFile {
        guard nodes.record(ino) != nil else { throw FSError(ENOENT) }
        if flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0, configuration.readOnly || writes == nil {
            throw FSError(EROFS)
        }
        if let opened = try openThroughSpool(ino: ino, flags: flags) { return opened }
        let record = try freshRecord(ino)
        switch record.metadata.kind {
        case .directory: throw FSError(EISDIR)
        case .symlink: throw FSError(ELOOP)
        case .file: break
        }
        guard case .remote(let profileIndex, let id) = record.identity else { throw FSError(EIO) }
        // The kernel has one page cache per inode. While someone still reads an older version through
        // it, this open bypasses it (and leaves it alone), so neither reader sees the other's bytes.
        let bypass = configuration.directIO || handles.hasReader(of: id, pinnedToOtherThan: record.metadata.version)
        let keepCache = bypass || nodes.noteOpen(ino, version: record.metadata.version)
        let handle = addReadHandle(profileIndex: profileIndex, id: id, metadata: record.metadata)
        logger.debug("opened", metadata: ["ino": "\(ino)", "version": "\(record.metadata.version ?? "-")",
                                          "keep_cache": "\(keepCache)", "direct_io": "\(bypass)"])
        return OpenedFile(handle: handle, keepCache: keepCache, directIO: bypass)
    }

    /// A new read handle of node `id`, pinned to the version and size in `metadata`.
    func addReadHandle(profileIndex: Int, id: String, metadata: NodeMetadata) -> UInt64 {
        let source = RangeStreamer.Source(api: api, profile: profiles[profileIndex].profile, nodeID: id,
                                          versionID: metadata.version, fileSize: metadata.size, cache: readCache)
        return handles.add(RangeStreamer(source: source, window: makePrefetchWindow(), pool: pool, budget: budget))
    }

    /// A new handle's read-ahead state: it starts small; the kernel's own readahead span counts as
    /// one sequential stream.
    func makePrefetchWindow() -> PrefetchWindow {
        // The kernel starts its next readahead window before the current one is read: one stream's
        // requests spread over two windows.
        PrefetchWindow(initial: 256 << 10, maximum: configuration.maxWindow,
                       forwardSlack: 2 * Int64(configuration.kernelReadahead), alignParts: readCache != nil)
    }

    public func read(ino: UInt64, handle: UInt64, offset: Int64, size: Int,
                     reply: (UnsafeRawBufferPointer) -> Void) throws(FSError) {
        if let local = try readThroughSpool(ino: ino, handle: handle, offset: offset, size: size) {
            local.withUnsafeBytes { reply($0) }
            return
        }
        guard let streamer = handles.file(handle) else { throw FSError(EBADF) }
        do {
            try streamer.read(offset: offset, size: size, reply: reply)
        } catch {
            logger.debug("read failed", metadata: ["ino": "\(ino)", "offset": "\(offset)", "error": "\(error)"])
            throw error
        }
    }

    public func flush(ino: UInt64, handle: UInt64) throws(FSError) {
        try flushThroughSpool(handle: handle)
    }

    public func fsync(ino: UInt64, handle: UInt64, dataOnly: Bool) throws(FSError) {
        try fsyncThroughSpool(ino: ino, handle: handle)
    }

    public func release(ino: UInt64, handle: UInt64) {
        writes?.detach(handle: handle)
        guard let streamer = handles.removeFile(handle) else { return }
        streamer.close()
        logger.debug("closed", metadata: ["ino": "\(ino)", "reads": "\(streamer.summary)"])
    }
}
