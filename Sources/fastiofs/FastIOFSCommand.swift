import ArgumentParser
import FastIOFS

/// `fastiofs`: mount Fast.io workspaces and shares as a directory (see DESIGN.md for the contract).
struct FastIOFSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastiofs",
        abstract: "Mount Fast.io workspaces and shares as a local directory.",
        discussion: """
            From /etc/fstab or mount(8): `mount -t fuse.fastiofs SOURCE DIR -o OPTIONS` (or -t fastiofs), \
            SOURCE being fastio, workspace:NAME or share:NAME, and every mount option also an -o option \
            (token_file=..., cache_dir=..., read_only, ...). See docs/OPERATIONS.md.
            """,
        version: "fastiofs \(FastIOFSVersion.current)",
        subcommands: [MountCommand.self, UnmountCommand.self, StatusCommand.self, CacheCommand.self, CompletionCommand.self])
}
