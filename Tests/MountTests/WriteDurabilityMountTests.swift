import EmulatorHarness
import Foundation
import Glibc
import Testing

/// Nothing written is lost: a kill -9 during an upload resumes from the journal at the next mount,
/// `fastiofs unmount` returns only when the queue is empty, and injected 503s, resets and 429s are
/// retried until every byte arrived. Checked on the server through the API.
extension MountSuites {
@Suite(.timeLimit(.minutes(6)))
struct WriteDurabilityMountTests {
    /// open(O_CREAT|O_EXCL), write, close: a plain new file (Foundation's writers go through a temp file).
    private func writeFile(_ path: String, _ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw MountTestError("open \(path): errno \(errno)") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        let closed = close(fd)
        guard written == data.count, closed == 0 else { throw MountTestError("write \(path): errno \(errno)") }
    }

    private func status(_ mount: MountedFastIOFS) throws -> [String: Any] {
        let bytes = try XAttr.get(mount.path, "user.fastio.status")
        return try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
    }

    @Test func killDuringAnUploadResumesAtTheNextMountAndTheDataArrives() async throws {
        try FuseAvailability.require()
        // Latency makes the upload of 80 MiB take long enough to be interrupted.
        let emulator = try await SourceTree.emulator(extraArguments: ["--latency-ms", "100"])
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let args = ["--workspace", SourceTree.workspaceName]
        let first = try MountedFastIOFS.mount(emulator, arguments: args, cacheDirectory: cache)
        defer { first.unmount() }
        let mnt = first.mountpoint
        let big = Data.pseudoRandom(count: 80 << 20, seed: 42)
        let small = Data("written just before the crash\n".utf8)
        try writeFile(mnt.path + "/crash-big.bin", big)
        try writeFile(mnt.path + "/small/crash-small.txt", small)
        // Kill while the big upload is under way (some bytes sent, not all).
        let deadline = Date().addingTimeInterval(30)
        var sawUpload = false
        while Date() < deadline && !sawUpload {
            let queue = try status(first)["queue"] as? [[String: Any]] ?? []
            sawUpload = queue.contains { ($0["uploading"] as? Bool) == true && (($0["bytes_done"] as? Int) ?? 0) > 0 }
            if !sawUpload { usleep(5_000) }
        }
        first.crash()
        #expect(sawUpload, "the upload was under way when the process was killed")

        let second = try MountedFastIOFS.mount(emulator, arguments: args, mountpoint: mnt, cacheDirectory: cache)
        defer { second.unmount() }
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(mnt.path)", timeout: 180)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(second.logTail())")
        second.unmount()

        let server = ServerFiles(emulator)
        let names = try await server.names("")
        #expect(names.filter { $0.hasPrefix("crash-big") } == ["crash-big.bin"], "one file, no conflict copy: \(names)")
        #expect(try ServerFiles.sha256(try await server.content("crash-big.bin")) == ServerFiles.sha256(big))
        #expect(try await server.content("small/crash-small.txt") == small)
    }

    @Test func unmountWaitsUntilEveryFileIsOnTheServer() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let m = mount.path
        try FileManager.default.createDirectory(atPath: m + "/queued", withIntermediateDirectories: false)
        var expected: [String: Data] = [:]
        for i in 0..<300 { expected[String(format: "f%03d.txt", i)] = Data("queued file \(i)\n".utf8) }
        expected["chunked.bin"] = Data.pseudoRandom(count: 20 << 20, seed: 9)
        for (name, data) in expected { try writeFile(m + "/queued/" + name, data) }
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 180)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: m))
        mount.unmount()

        let server = ServerFiles(emulator)
        let ids = try await server.children("queued")
        #expect(Set(ids.keys) == Set(expected.keys))
        for (name, data) in expected where name != "chunked.bin" {
            guard let id = ids[name] else { continue }
            #expect(try await server.content(id: id) == data, "\(name)")
        }
        #expect(try ServerFiles.sha256(try await server.content("queued/chunked.bin"))
                == ServerFiles.sha256(expected["chunked.bin"]!))
    }

    @Test(arguments: [["--fail-rate", "0.2"], ["--rate-limit-rate", "0.2"]])
    func injectedFaultsDuringUploadsLoseNothing(_ faults: [String]) async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator(extraArguments: faults)
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let m = mount.path
        var expected: [String: Data] = [:]
        for i in 0..<40 { expected["faulty/f\(i).txt"] = Data("faults \(i)\n".utf8) }
        expected["faulty/chunked.bin"] = Data.pseudoRandom(count: 26 << 20, seed: 11)
        var edited = try SourceTree.bytes("sizes/4096.bin")
        edited.replaceSubrange(10..<14, with: Array("EDIT".utf8))
        try FileManager.default.createDirectory(atPath: m + "/faulty", withIntermediateDirectories: false)
        for (path, data) in expected { try writeFile(m + "/" + path, data) }
        let result = try Shell.run("printf EDIT | dd of=\(m)/sizes/4096.bin bs=1 seek=10 conv=notrunc status=none")
        #expect(result.status == 0, "\(result.stderr)")
        expected["sizes/4096.bin"] = Data(edited)
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 240)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(mount.logTail())")
        mount.unmount()

        let server = ServerFiles(emulator)
        for (path, data) in expected {
            #expect(try ServerFiles.sha256(try await server.content(path)) == ServerFiles.sha256(data), "\(path)")
        }
        #expect(try await server.names("faulty") == Set(expected.keys.filter { $0.hasPrefix("faulty/") }.map { String($0.dropFirst(7)) }))
    }
}
}
