/// The command line mount(8) and mount.fuse3 hand a filesystem helper, turned into the equivalent
/// `fastiofs mount` arguments.
///
/// `mount -t fuse.fastiofs SOURCE DIR -o OPTS` makes mount.fuse3 run `fastiofs SOURCE DIR -o OPTS`;
/// `mount -t fastiofs ...` runs `/sbin/mount.fastiofs SOURCE DIR [-n] [-s] [-v] [-f] -o OPTS`.
/// SOURCE is `fastio` (everything the token sees), `workspace:NAME_OR_ID` or `share:NAME_OR_ID`.
/// Each option `a_b=c` naming a `fastiofs mount` option becomes `--a-b c` (rclone's convention),
/// `read_only` and `foreground` become flags, options only mount(8)/systemd care about (`_netdev`,
/// `nofail`, `noauto`, `x-systemd.*`, ...) are dropped, and every other option stays a `-o` option
/// (`ro`, `allow_other`, `uid=`, ... as `fastiofs mount -o` takes them).
///
/// Invariant: `translate` answers nil exactly when the arguments are not the helper form (a
/// subcommand, a flag first, or too few arguments while invoked as `fastiofs`), so the normal
/// command line keeps working unchanged.
public enum MountHelperArguments {
    /// What the helper was asked to do.
    public enum Translation: Equatable, Sendable {
        /// Run `fastiofs` with these arguments (a `mount` command).
        case mount([String])
        /// mount(8)'s `-f` (fake): do everything but the mount, which here is nothing.
        case fake
    }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The name mount(8) runs for `-t fastiofs`.
    public static let helperName = "mount.fastiofs"

    /// `fastiofs mount` options that take a value, by their `-o` spelling (`_` for `-`).
    public static let valueOptions: Set<String> = [
        "api_url", "token_file", "cache_dir", "log_level", "metadata_ttl", "coherent_ttl", "activity_wait",
        "metrics_addr", "workspace", "share", "read_cache_size", "read_cache_min_free", "log_max_size", "log_keep",
    ]
    /// `fastiofs mount` flags, by their `-o` spelling.
    public static let flagOptions: Set<String> = ["read_only", "foreground"]
    /// Options for mount(8), fstab and systemd only: accepted and ignored.
    public static let ignoredOptions: Set<String> = [
        "_netdev", "nofail", "noauto", "auto", "defaults", "user", "users", "nouser", "owner", "group",
    ]

    /// The `fastiofs mount` arguments for a helper invocation, nil when `arguments` (without the
    /// program name) are the normal command line. `invokedAs` is the program's base name.
    public static func translate(invokedAs: String, arguments: [String],
                                 subcommands: Set<String>) throws(Failure) -> Translation? {
        let asHelper = invokedAs == helperName
        if !asHelper {
            guard arguments.count >= 2, let first = arguments.first, !first.hasPrefix("-"),
                  !subcommands.contains(first), source(first) != nil else { return nil }
        }
        var positional: [String] = []
        var rawOptions: [String] = []
        var fake = false
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "-o":
                guard index + 1 < arguments.count else { throw Failure(description: "-o needs a value") }
                rawOptions.append(arguments[index + 1])
                index += 1
            case "-n", "-s", "-v": break   // no mtab, sloppy, verbose: nothing to do differently
            case "-f": fake = true
            case "-N":
                throw Failure(description: "mounting in another mount namespace (-N) is not supported")
            default:
                if argument.hasPrefix("-o"), argument.count > 2 {
                    rawOptions.append(String(argument.dropFirst(2)))
                } else if argument.hasPrefix("-") {
                    throw Failure(description: "unknown helper flag \(argument)")
                } else {
                    positional.append(argument)
                }
            }
            index += 1
        }
        guard positional.count == 2 else {
            throw Failure(description: "usage: \(asHelper ? helperName : "fastiofs") SOURCE MOUNTPOINT [-o OPTIONS]"
                          + " (SOURCE: fastio, workspace:NAME or share:NAME)")
        }
        guard let selection = source(positional[0]) else {
            throw Failure(description: "unknown source \(positional[0]): use fastio, workspace:NAME or share:NAME")
        }
        if fake { return .fake }
        var result = ["mount", positional[1]] + selection
        var passthrough: [String] = []
        for value in rawOptions {
            for option in value.split(separator: ",", omittingEmptySubsequences: true).map(String.init) {
                let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let key = parts[0]
                let argumentValue = parts.count > 1 ? parts[1] : nil
                if ignoredOptions.contains(key) || key.hasPrefix("x-") || key == "comment" {
                    continue
                }
                let long = "--" + key.replacingOccurrences(of: "_", with: "-")
                if valueOptions.contains(key) {
                    guard let argumentValue, !argumentValue.isEmpty else {
                        throw Failure(description: "option \(key) needs a value (\(key)=...)")
                    }
                    result += [long, argumentValue]
                } else if flagOptions.contains(key) {
                    guard argumentValue == nil else { throw Failure(description: "option \(key) takes no value") }
                    result.append(long)
                } else {
                    passthrough.append(option)
                }
            }
        }
        if !passthrough.isEmpty { result += ["-o", passthrough.joined(separator: ",")] }
        return .mount(result)
    }

    /// The `--workspace`/`--share` arguments a SOURCE stands for; nil when it is not a source.
    static func source(_ text: String) -> [String]? {
        if text == "fastio" { return [] }
        for (prefix, option) in [("workspace:", "--workspace"), ("share:", "--share")] where text.hasPrefix(prefix) {
            let name = String(text.dropFirst(prefix.count))
            return name.isEmpty ? nil : [option, name]
        }
        return nil
    }
}
