import EmulatorHarness
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Testing

/// `--metrics-addr`: the Prometheus endpoint of a real mount, scraped while the mount is used.
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct MetricsMountTests {
    @Test func countersMoveWithListingsReadsAndWrites() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let port = try FreeLoopbackPort.take()
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName,
                                                                    "--metrics-addr", "127.0.0.1:\(port)"])
        defer { mount.unmount() }
        let m = mount.path

        let before = try await Scrape.get(port: port)
        #expect(before.types["fastiofs_fuse_operations_total"] == "counter")
        #expect(before.types["fastiofs_fuse_operation_duration_seconds"] == "histogram")
        #expect((before["fastiofs_read_budget_limit_bytes"] ?? 0) > 0)

        // ls, a read of a whole file, a missing name, a new file written and closed.
        let names = try POSIX.listNames(m + "/many")
        #expect(names.count == SourceTree.manyCount)
        let rel = "sizes/1048579.bin"
        #expect(try POSIX.readAll(m + "/" + rel) == (try SourceTree.bytes(rel)))
        #expect(throws: SyscallError.self) { _ = try POSIX.stat(m + "/small/no-such-file.txt") }
        let written = 100_000
        let shell = try Shell.run("head -c \(written) /dev/zero > \(Shell.quote(m + "/small/metrics-new.bin"))")
        #expect(shell.status == 0, "\(shell.stderr)")

        // The upload is asynchronous: wait until the scrape shows it.
        var after = try await Scrape.get(port: port)
        let deadline = Date().addingTimeInterval(60)
        while (after["fastiofs_uploads_total"] ?? 0) < 1 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            after = try await Scrape.get(port: port)
        }

        func grew(_ series: String, by minimum: Double = 1) -> Bool {
            (after[series] ?? 0) - (before[series] ?? 0) >= minimum
        }
        for op in ["lookup", "open", "read", "create", "write", "flush", "release"] {
            #expect(grew(#"fastiofs_fuse_operations_total{op="\#(op)"}"#), "\(op): \(before.series(op)) -> \(after.series(op))")
            #expect(grew(#"fastiofs_fuse_operation_duration_seconds_count{op="\#(op)"}"#), "\(op)")
        }
        #expect(grew(#"fastiofs_fuse_operations_total{op="readdir"}"#)
                || grew(#"fastiofs_fuse_operations_total{op="readdirplus"}"#))
        #expect(grew(#"fastiofs_fuse_operation_errors_total{op="lookup",errno="ENOENT"}"#))

        #expect(grew(#"fastiofs_api_requests_total{route="GET storage/list",status="200"}"#, by: 3),
                "1,234 names in pages of 500: \(after.samples.keys.filter { $0.contains("api_requests") }.sorted())")
        #expect(after.sum(prefix: #"fastiofs_api_requests_total{route="GET storage/read","#)
                > before.sum(prefix: #"fastiofs_api_requests_total{route="GET storage/read","#))
        #expect(grew("fastiofs_api_read_bytes_total", by: 1_048_579))
        #expect(grew("fastiofs_uploads_total"), "the new file was uploaded within 60 s")
        #expect(grew("fastiofs_upload_bytes_total", by: Double(written)))
        #expect(after["fastiofs_upload_queue_files"] != nil && after["fastiofs_upload_queue_bytes"] != nil)
        #expect(after.types["fastiofs_kernel_invalidations_total"] == "counter")

        // Activity polling becomes healthy for the one mounted workspace.
        var healthy = after.sum(prefix: "fastiofs_activity_channel_healthy{")
        let pollDeadline = Date().addingTimeInterval(30)
        while healthy < 1 && Date() < pollDeadline {
            try await Task.sleep(for: .milliseconds(200))
            healthy = try await Scrape.get(port: port).sum(prefix: "fastiofs_activity_channel_healthy{")
        }
        #expect(healthy == 1)

        // Only GET /metrics is served.
        #expect(try await Scrape.status(port: port, path: "/") == 404)
        #expect(try await Scrape.status(port: port, path: "/metrics/other") == 404)
        #expect(try await Scrape.status(port: port, path: "/metrics") == 200)
    }

    /// The daemon (no --foreground) is re-executed with the option; a taken port or a host name fails
    /// the mount command with a clear message.
    @Test func theDaemonServesMetricsAndBadAddressesFailTheMount() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mnt = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-daemon")
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-daemon-cache")
        let bin = try BuildProducts.executable("fastiofs").path
        let env = ["FASTIO_TOKEN": emulator.primaryToken]
        let mountCommand = "\(Shell.quote(bin)) mount \(Shell.quote(mnt.path)) --api-url \(emulator.baseURL.absoluteString) --workspace \(SourceTree.workspaceName) --cache-dir \(Shell.quote(cache.path))"

        let port = try FreeLoopbackPort.take()
        let mounted = try Shell.run(mountCommand + " --metrics-addr \(port)", environment: env, timeout: 60)
        let daemon = mounted.stdout.firstMatch(of: /daemon pid (\d+)/).flatMap { Int32($0.1) }
        defer {
            // Only after a failure above: unmount, then end the daemon we started (by its pid).
            if MountTable.isFastIOFSMounted(at: mnt.path) {
                do {
                    _ = try Shell.run("fusermount3 -u -z \(Shell.quote(mnt.path))", timeout: 30)
                } catch {
                    Issue.record("cleanup could not run fusermount3: \(error)")
                }
            }
            if let daemon, kill(daemon, 0) == 0 { kill(daemon, SIGKILL) }
        }
        #expect(mounted.status == 0, "\(mounted.stderr)")
        #expect(daemon != nil, "\(mounted.stdout)")
        #expect(try POSIX.readAll(mnt.path + "/small/hello.txt") == Array("hello fastio\n".utf8))
        let scrape = try await Scrape.get(port: port)
        #expect((scrape[#"fastiofs_fuse_operations_total{op="read"}"#] ?? 0) >= 1)
        #expect((scrape["fastiofs_api_read_bytes_total"] ?? 0) >= 13)
        let unmounted = try Shell.run("\(Shell.quote(bin)) unmount \(Shell.quote(mnt.path))", environment: env, timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")

        // The port is taken now by a listener of ours: the daemon reports it, nothing stays mounted.
        let (taken, listener) = try FreeLoopbackPort.listen()
        defer { close(listener) }
        let busy = try Shell.run(mountCommand + " --metrics-addr 127.0.0.1:\(taken)", environment: env, timeout: 60)
        #expect(busy.status != 0)
        #expect(busy.stderr.contains("cannot serve metrics on 127.0.0.1:\(taken)"), "\(busy.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: mnt.path))

        // A host name is refused before anything starts (only literal addresses and localhost).
        let named = try Shell.run(mountCommand + " --metrics-addr metrics.example.com:9100", environment: env, timeout: 60)
        #expect(named.status != 0)
        #expect(named.stderr.contains("--metrics-addr"), "\(named.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: mnt.path))
    }
}
}

/// A loopback port nobody listens on (bound to 0, read back, closed), or one held by our listener.
enum FreeLoopbackPort {
    static func take() throws -> UInt16 {
        let (port, descriptor) = try listen()
        close(descriptor)
        return port
    }

    static func listen() throws -> (port: UInt16, descriptor: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MountTestError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && Glibc.listen(fd, 1) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw MountTestError("cannot bind a loopback port: \(String(cString: strerror(errno)))")
        }
        return (UInt16(bigEndian: address.sin_port), fd)
    }
}

/// One scrape of `/metrics`: every sample by `name{labels}`, and each family's type.
struct Scrape {
    var samples: [String: Double] = [:]
    var types: [String: String] = [:]

    subscript(_ series: String) -> Double? { samples[series] }

    /// The sum of every sample whose series starts with `prefix`.
    func sum(prefix: String) -> Double {
        samples.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +)
    }

    /// The operation's samples, for failure messages.
    func series(_ op: String) -> [String: Double] {
        samples.filter { $0.key.contains("op=\"\(op)\"") && !$0.key.contains("_bucket") }
    }

    static func get(port: UInt16) async throws -> Scrape {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        #expect(http.value(forHTTPHeaderField: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        var scrape = Scrape()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { scrape.types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            scrape.samples[String(line[..<space])] = value
        }
        return scrape
    }

    static func status(port: UInt16, path: String) async throws -> Int {
        let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return try #require(response as? HTTPURLResponse).statusCode
    }
}
