import FastIO

/// A handle's ranged read through the persistent read cache: the blocks of the range that are
/// cached are copied from disk first, the rest comes from the server in one request, and every whole
/// block the server sent is stored for next time (read-ahead included: it fetches through here too).
///
/// Invariants: a block is looked up and stored only under the handle's pinned (node, version), so
/// other content is never served; without a cache or a version the read goes to the server as before;
/// the result is what the server would have answered (`memory.count` bytes at `offset`, short only at
/// the end of the file); offsets and sizes are checked, never trapping on overflow.
extension RangeStreamer.Source {
    func fetch(offset: Int64, into memory: UnsafeMutableRawBufferPointer, progress: ((Int) -> Void)?) throws -> Int {
        guard let cache, let versionID, memory.count > 0, offset >= 0 else {
            return try serverRead(offset: offset, into: memory, progress: progress)
        }
        let (requestedEnd, overflow) = offset.addingReportingOverflow(Int64(memory.count))
        let end = min(overflow ? Int64.max : requestedEnd, fileSize)
        guard offset < end else { return 0 }
        let key = BlockCache.Key(nodeID: nodeID, versionID: versionID)
        let blockSize = Int64(BlockCache.blockSize)
        var position = offset
        // The cached prefix of the range.
        while position < end {
            let index = position / blockSize
            let blockStart = index * blockSize
            let length = BlockCache.blockLength(index: index, fileSize: fileSize)
            guard length > 0 else { break }
            let blockEnd = blockStart + Int64(length)
            let target = UnsafeMutableRawBufferPointer(rebasing: memory[Int(position - offset)..<Int(min(end, blockEnd) - offset)])
            if blockStart == position && blockEnd <= end {
                guard cache.read(key, index: index, into: target) else { break }
            } else {
                // An edge of the range cuts this block: read it whole (its checksum covers all of it)
                // into a reused buffer, keep the part asked for.
                let found = cache.withBlockBuffer { scratch -> Bool in
                    let whole = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length])
                    guard cache.read(key, index: index, into: whole) else { return false }
                    let from = Int(position - blockStart)
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: whole[from..<(from + target.count)]))
                    return true
                }
                guard found else { break }
            }
            position = min(end, blockEnd)
            progress?(Int(position - offset))
        }
        let cached = Int(position - offset)
        guard position < end else { return cached }
        // The rest from the server, stored block by block.
        let rest = UnsafeMutableRawBufferPointer(rebasing: memory[cached..<Int(end - offset)])
        let got = try serverRead(offset: position, into: rest, progress: progress.map { report in { report(cached + $0) } })
        let arrivedEnd = position + Int64(got)
        var index = position / blockSize + (position % blockSize == 0 ? 0 : 1)
        while true {
            let blockStart = index * blockSize
            let length = BlockCache.blockLength(index: index, fileSize: fileSize)
            guard length > 0, blockStart + Int64(length) <= arrivedEnd else { break }
            let from = Int(blockStart - offset)
            cache.store(key, index: index, bytes: UnsafeRawBufferPointer(rebasing: memory[from..<(from + length)]))
            index += 1
        }
        return cached + got
    }

    private func serverRead(offset: Int64, into memory: UnsafeMutableRawBufferPointer,
                            progress: ((Int) -> Void)?) throws -> Int {
        if let progress, let progressive = api as? any ProgressiveRangeReading {
            return try progressive.read(profile, nodeID: nodeID, versionID: versionID, offset: offset, into: memory,
                                        progress: progress)
        }
        return try api.read(profile, nodeID: nodeID, versionID: versionID, offset: offset, into: memory)
    }
}
