import Foundation

/// Locates executables built by SwiftPM (`fastio-emulator`, `fastiofs`) for tests.
/// Invariant: the search order is `FASTIOFS_BIN_DIR`, the running test binary's directory (and its
/// parents up to three levels, for bundle layouts), then `swift build --show-bin-path`.
public enum BuildProducts {
    /// The directories searched, in order, excluding the `swift build --show-bin-path` fallback.
    public static func candidateDirectories() -> [URL] {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["FASTIOFS_BIN_DIR"], !env.isEmpty {
            dirs.append(URL(fileURLWithPath: env, isDirectory: true))
        }
        if let argv0 = CommandLine.arguments.first {
            var dir = URL(fileURLWithPath: argv0).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                dirs.append(dir)
                dir = dir.deletingLastPathComponent()
            }
        }
        return dirs
    }

    /// The full path of the built executable `name`; throws if it is nowhere to be found.
    public static func executable(_ name: String) throws -> URL {
        let fm = FileManager.default
        var searched: [String] = []
        for dir in candidateDirectories() {
            let candidate = dir.appendingPathComponent(name)
            searched.append(dir.path)
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        if let binPath = swiftBuildBinPath() {
            let candidate = URL(fileURLWithPath: binPath).appendingPathComponent(name)
            searched.append(binPath)
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw HarnessError.executableNotFound(name: name, searched: searched)
    }

    /// The package root: the nearest ancestor of this source file holding Package.swift.
    public static func packageRoot() -> URL? {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    private static func swiftBuildBinPath() -> String? {
        guard let root = packageRoot() else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "--show-bin-path"]
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
