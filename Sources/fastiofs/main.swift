import FuseBridge
import Glibc

// Entry point only. No C callbacks may live in this file: closures here are inferred @MainActor and
// trap when libfuse calls them from its threads.

// mount(8) and mount.fuse3 run `fastiofs SOURCE DIR -o OPTS` (or `mount.fastiofs ...`): the same
// mount, spelled as a filesystem helper (see MountHelperArguments).
let invokedAs = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "fastiofs"
let subcommands = Set(FastIOFSCommand.configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"])
do {
    switch try MountHelperArguments.translate(invokedAs: invokedAs, arguments: Array(CommandLine.arguments.dropFirst()),
                                              subcommands: subcommands) {
    case .mount(let arguments)?: FastIOFSCommand.main(arguments)
    case .fake?: exit(0)
    case nil: FastIOFSCommand.main()
    }
} catch {
    let message = "\(invokedAs): \(error.description)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(32)   // mount(8)'s "mount failure"
}
