import FastIO
import Foundation

/// Copies a server node's bytes into a local descriptor (the original of a file being changed, or
/// the source of a rename over a file), in ranged reads pinned to one version.
///
/// Invariant: on success the descriptor holds exactly the node's first `length` bytes (fewer only
/// when the version is shorter); no lock is held by this type.
enum ServerCopy {
    static let chunk = 4 << 20

    static func fetch(api: any FastIOAPI, profile: StorageProfile, nodeID: String, version: String?,
                      length: Int64, into descriptor: Int32) throws(FSError) {
        guard length > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(Int64(chunk), length)), alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(buffer.count), length - offset))
            let got: Int
            do {
                got = try api.read(profile, nodeID: nodeID, versionID: version, offset: offset,
                                   into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            } catch {
                throw FSError.from(error)
            }
            if got == 0 { break }
            guard got > 0, got <= want else { throw FSError(EIO, detail: "the server answered \(got) bytes for \(want)") }
            try SpoolDirectory.writeAll(descriptor, UnsafeRawBufferPointer(rebasing: buffer[0..<got]), at: offset)
            offset += Int64(got)
        }
    }
}
