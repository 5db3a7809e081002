import EmulatorHarness
import Foundation
import Glibc
import Testing

/// A deterministic generator (SplitMix64), so a failing run of random operations can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One file under test: its descriptor on the mount and the model of what it must contain.
private struct ModelFile {
    let path: String
    var fd: Int32 = -1
    var bytes: [UInt8]
}

/// >= 10,000 random writes, truncates, appends and reads on a few files (new ones and an existing
/// server file), each checked against an in-memory model, with files closed and reopened now and then
/// so uploads run while writing goes on; then checked again after `fastiofs unmount` and a fresh
/// mount (empty cache: the bytes come from the server).
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct RandomOperationsMountTests {
    static let operations = 10_000
    static let maximumSize = 96 << 10

    /// The index of the first differing byte (or the shorter length), for short failure messages.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let index = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        return "\(index) (sizes \(a.count) and \(b.count))"
    }

    @Test func randomOperationsMatchALocalModelBeforeAndAfterRemount() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let m = mount.path
        var files = [
            ModelFile(path: m + "/sizes/4097.bin", bytes: try SourceTree.bytes("sizes/4097.bin")),
            ModelFile(path: m + "/random-a.bin", bytes: []),
            ModelFile(path: m + "/random-b.bin", bytes: []),
            ModelFile(path: m + "/small/random-c.bin", bytes: []),
        ]
        var random = SeededGenerator(seed: 0xFA57_10F5)
        defer { for file in files where file.fd >= 0 { close(file.fd) } }

        for index in 0..<Self.operations {
            let which = Int.random(in: 0..<files.count, using: &random)
            if files[which].fd < 0 {
                let fd = open(files[which].path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
                try #require(fd >= 0, "open \(files[which].path): errno \(errno) at op \(index)\n\(mount.logTail())")
                files[which].fd = fd
            }
            let fd = files[which].fd
            let size = files[which].bytes.count
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40:  // write at a random offset (sometimes past the end: a sparse hole)
                let offset = Int.random(in: 0...min(Self.maximumSize - 1, size + 2048), using: &random)
                let length = Int.random(in: 1...min(8192, Self.maximumSize - offset), using: &random)
                let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let n = data.withUnsafeBytes { pwrite(fd, $0.baseAddress!, length, off_t(offset)) }
                try #require(n == length, "pwrite at op \(index): \(n), errno \(errno)")
                if offset + length > size { files[which].bytes += [UInt8](repeating: 0, count: offset + length - size) }
                files[which].bytes.replaceSubrange(offset..<(offset + length), with: data)
            case 40..<50:  // truncate (shrink or grow)
                let newSize = Int.random(in: 0...Self.maximumSize, using: &random)
                try #require(ftruncate(fd, off_t(newSize)) == 0, "ftruncate at op \(index): errno \(errno)")
                if newSize < size { files[which].bytes.removeLast(size - newSize) } else {
                    files[which].bytes += [UInt8](repeating: 0, count: newSize - size)
                }
            case 50..<65:  // append through an O_APPEND descriptor
                let length = Int.random(in: 1...4096, using: &random)
                guard size + length <= Self.maximumSize else { continue }
                let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let appender = open(files[which].path, O_WRONLY | O_APPEND | O_CLOEXEC)
                try #require(appender >= 0, "open O_APPEND at op \(index): errno \(errno)")
                let n = data.withUnsafeBytes { write(appender, $0.baseAddress!, length) }
                close(appender)
                try #require(n == length, "append at op \(index): \(n), errno \(errno)")
                files[which].bytes += data
            case 65..<95:  // read a random range and compare
                let offset = Int.random(in: 0...(size + 100), using: &random)
                let length = Int.random(in: 1...16384, using: &random)
                var buffer = [UInt8](repeating: 0, count: length)
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, length, off_t(offset)) }
                let expected = offset >= size ? [] : Array(files[which].bytes[offset..<min(size, offset + length)])
                try #require(n == expected.count, "pread length at op \(index): \(n) vs \(expected.count)")
                let got = Array(buffer[0..<max(0, n)])
                let same = got == expected
                try #require(same, "pread of \(files[which].path) [\(offset), +\(length)) size \(size) differs at op \(index) from byte \(Self.firstDifference(got, expected)) on")
            default:  // close (the upload starts; later writes go to a new snapshot)
                close(fd)
                files[which].fd = -1
            }
            if index % 1000 == 999 {
                for file in files {
                    try #require(try POSIX.stat(file.path).st_size == file.bytes.count, "size at op \(index)")
                    let content = try POSIX.readAll(file.path)
                    let same = content == file.bytes
                    try #require(same, "content of \(file.path) at op \(index) differs from byte \(Self.firstDifference(content, file.bytes)) on")
                }
            }
        }
        for index in files.indices where files[index].fd >= 0 {
            #expect(fsync(files[index].fd) == 0, "fsync: errno \(errno)")
            close(files[index].fd)
            files[index].fd = -1
        }
        for file in files {
            let content = try POSIX.readAll(file.path)
            let same = content == file.bytes
            #expect(same, "\(file.path) before remount differs from byte \(Self.firstDifference(content, file.bytes))")
        }

        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 120)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        mount.unmount()
        let fresh = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only"])
        defer { fresh.unmount() }
        for file in files {
            let path = fresh.path + file.path.dropFirst(m.count)
            let content = try POSIX.readAll(path)
            let same = content == file.bytes
            #expect(same, "\(path) after remount differs from byte \(Self.firstDifference(content, file.bytes))")
        }
    }
}
}
