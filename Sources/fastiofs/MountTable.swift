import Foundation
import Glibc

/// Reads the kernel's mount table (/proc/self/mountinfo) and probes mountpoints.
enum MountTable {
    /// Whether `path` (absolute, normalized) is a mount point, including stale FUSE mounts.
    static func isMountPoint(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && unescape(String(fields[4])) == path
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    private static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// stat-based facts about a mountpoint.
enum MountpointProbe {
    /// A FUSE mount whose daemon died: every request fails with ENOTCONN. Probed with statvfs (statfs), which
    /// always reaches the filesystem; stat may still succeed from the kernel's attribute cache.
    static func isStale(_ path: String) -> Bool {
        var st = statvfs()
        return statvfs(path, &st) != 0 && errno == ENOTCONN
    }
}

/// Processes that are running (a zombie has exited: only its parent has not collected it yet).
enum ProcessState {
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}

/// Finds the `fastiofs mount` daemons serving a mountpoint, by their command line (the daemon is
/// always started as `fastiofs mount <absolute mountpoint> --foreground ...`).
enum DaemonProcesses {
    static func serving(mountpoint: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let me = getpid()
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard pid != me,
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count >= 3 && arguments[0].hasSuffix("fastiofs") && arguments[1] == "mount"
                && arguments[2] == mountpoint && arguments.contains("--foreground")
        }
    }
}
