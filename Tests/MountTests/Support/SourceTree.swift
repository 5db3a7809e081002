import EmulatorHarness
import Foundation

/// A local tree the mount tests import into a workspace and compare the mount against.
///
/// Invariant: built once per test process (immutable afterwards) under a temp dir; its names are all
/// POSIX-safe, so the mounted workspace must show exactly these names and bytes.
enum SourceTree {
    static let workspaceName = "mt"
    static let manyCount = 1_234
    static let bigSize = 24 << 20

    /// The tree's root directory (built on first use).
    static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fastiofs-mt-src-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        TemporaryDirectories.register(root, isMountpoint: false)
        let fm = FileManager.default
        func write(_ rel: String, _ data: Data) {
            let url = root.appendingPathComponent(rel)
            try! fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try! data.write(to: url)
        }
        write("small/hello.txt", Data("hello fastio\n".utf8))
        write("small/empty.txt", Data())
        write("small/one.bin", Data([0x2A]))
        for size in [4095, 4096, 4097, 1_048_579] {
            write("sizes/\(size).bin", Data.pseudoRandom(count: size, seed: UInt64(size)))
        }
        write("big/random.bin", Data.pseudoRandom(count: bigSize, seed: 7))
        write("deep/a/b/c/d/leaf.txt", Data("leaf\n".utf8))
        for i in 0..<manyCount { write(String(format: "many/f%05d.txt", i), Data("entry \(i)\n".utf8)) }
        for i in 0..<20 {
            let body = (0..<50).map { $0 == i ? "a needle in line \($0)" : "hay \($0)" }.joined(separator: "\n") + "\n"
            write("text/doc\(i).txt", Data(body.utf8))
        }
        write("names/with space.txt", Data("space\n".utf8))
        write("names/percent%41.txt", Data("percent\n".utf8))
        write("names/ünïcödé.txt", Data("unicode\n".utf8))
        write("names/-dash.txt", Data("dash\n".utf8))
        return root
    }()

    static func bytes(_ rel: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(rel)))
    }

    /// An emulator whose primary user owns workspace `mt` holding this tree.
    static func emulator(extraArguments: [String] = [], users: [EmulatorUser] = []) async throws -> EmulatorProcess {
        let src = root
        return try await EmulatorProcess.start(users: users, extraArguments: extraArguments) { data in
            try EmulatorProcess.runImport(dataDirectory: data, workspace: workspaceName, from: src)
        }
    }
}
