import ArgumentParser

/// `fastiofs completion bash|zsh|fish`: prints the shell completion script ArgumentParser generates
/// for the whole command line (install it as README.md says).
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script for bash, zsh or fish.")

    @Argument(help: "bash, zsh or fish.")
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else {
            throw ValidationError("unknown shell \(shell): use bash, zsh or fish")
        }
    }

    func run() throws {
        guard let completion = CompletionShell(rawValue: shell) else { throw ExitCode.validationFailure }
        print(FastIOFSCommand.completionScript(for: completion), terminator: "")
    }
}
