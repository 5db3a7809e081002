import ArgumentParser

/// `fastiofs`: mount Fast.io workspaces and shares as a directory (see DESIGN.md for the contract).
struct FastIOFSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastiofs",
        abstract: "Mount Fast.io workspaces and shares as a local directory.",
        subcommands: [MountCommand.self, UnmountCommand.self])
}
