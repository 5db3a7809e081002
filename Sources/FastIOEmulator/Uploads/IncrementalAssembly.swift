import Foundation

/// Assembles a chunked upload while its chunks arrive: each stored chunk that extends the contiguous
/// run from chunk 1 is appended to one file and hashed at once, so `complete` only syncs and commits
/// that file instead of re-reading and copying every byte (the full assembly stays as the fallback).
///
/// Invariants: per session, `next` is the first chunk order not yet appended; the file holds exactly
/// chunks 1..<next in order and `hasher` has seen exactly those bytes; a chunk stored again (a new
/// file at that order, told by its inode: another arrival's call may have appended this very file
/// already) or deleted at an order already appended breaks the session (its file is dropped and `take` answers nil, so
/// the caller assembles from the chunk files). Appends run in the background, serialised by the
/// session's lock; `take` waits for the queued ones; the table lock is never held during I/O.
/// Thread-safe.
final class IncrementalAssembly: Sendable {
    private final class Session: @unchecked Sendable {  // unchecked: every var is guarded by `lock`
        let lock = NSCondition()
        /// Appends queued and not yet run (`take` waits for them).
        var pending = 0
        let path: String
        var sink: FileSink?
        var hasher: MultiHasher
        var next = 1
        var broken = false
        /// The inode of each appended chunk file: a chunk stored again is a new file.
        var appended: [Int: UInt64] = [:]
        init(path: String, extraAlgo: String?) {
            self.path = path
            hasher = MultiHasher(extra: extraAlgo)
        }
        /// Drops the partial file (under `lock`).
        func breakUp() {
            broken = true
            sink?.abandon()
            sink = nil
            unlink(path)
        }
    }

    struct Assembled {
        let path: String
        let hash: String
        let size: Int64
        let extra: String?
    }

    private let sessions = Locked<[String: Session]>([:])

    /// Call after chunk `order` of `uploadID` was stored under `blobs`: the append runs in the
    /// background (the chunk's answer does not wait for it; `take` does).
    func chunkStored(uploadID: String, order: Int, extraAlgo: String?, blobs: BlobStore) {
        let session = sessions.withLock { table in
            if let known = table[uploadID] { return known }
            let created = Session(path: blobs.tempPath(), extraAlgo: extraAlgo)
            table[uploadID] = created
            return created
        }
        session.lock.lock()
        session.pending += 1
        session.lock.unlock()
        BlockingIO.detach { [self] in
            session.lock.lock()
            defer {
                session.pending -= 1
                session.lock.broadcast()
                session.lock.unlock()
            }
            appendStored(order: order, of: uploadID, to: session, blobs: blobs)
        }
    }

    /// Appends what became contiguous (under the session's lock).
    private func appendStored(order: Int, of uploadID: String, to session: Session, blobs: BlobStore) {
        guard !session.broken else { return }
        if order < session.next {
            var st = stat()
            let current = stat(blobs.chunkPath(uploadID, order: order), &st) == 0 ? UInt64(st.st_ino) : nil
            if current != session.appended[order] { session.breakUp() }   // stored again after it was appended
            return
        }
        do {
            while true {
                let fd = open(blobs.chunkPath(uploadID, order: session.next), O_RDONLY | O_CLOEXEC)
                if fd < 0 { break }   // not stored yet: a later chunk's arrival continues from here
                defer { close(fd) }
                if session.sink == nil { session.sink = try FileSink(path: session.path) }
                var st = stat()
                guard fstat(fd, &st) == 0 else { throw POSIXFailure("fstat chunk") }
                try append(from: fd, to: session)
                session.appended[session.next] = UInt64(st.st_ino)
                session.next += 1
            }
        } catch {
            session.breakUp()
        }
    }

    /// Forgets what was appended of `uploadID` (a chunk deleted, the session failed or was deleted).
    func invalidate(uploadID: String, fromOrder order: Int = 1) {
        guard let session = sessions.withLock({ table in
            order <= 1 ? table.removeValue(forKey: uploadID) : table[uploadID]
        }) else { return }
        session.lock.lock()
        defer { session.lock.unlock() }
        if order < session.next { session.breakUp() }
    }

    /// The assembled file when exactly chunks 1...`chunkCount` were appended (synced, closed, and no
    /// longer tracked); nil otherwise (nothing is left behind).
    func take(uploadID: String, chunkCount: Int) -> Assembled? {
        guard let session = sessions.withLock({ $0.removeValue(forKey: uploadID) }) else { return nil }
        session.lock.lock()
        defer { session.lock.unlock() }
        let deadline = Date().addingTimeInterval(120)
        while session.pending > 0 && session.lock.wait(until: deadline) {}
        guard session.pending == 0, !session.broken, session.next == chunkCount + 1, let sink = session.sink else {
            session.breakUp()
            return nil
        }
        do {
            try sink.syncAndClose()
        } catch {
            unlink(session.path)
            return nil
        }
        session.sink = nil
        let (hash, extra) = session.hasher.finish()
        return Assembled(path: session.path, hash: hash, size: sink.written, extra: extra)
    }

    private func append(from fd: Int32, to session: Session) throws {
        guard let sink = session.sink else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        try sink.append(from: fd, buffer: buffer) { session.hasher.update($0) }
    }
}
