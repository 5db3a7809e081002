import ArgumentParser
import FastIOEmulator
import Foundation

/// `fastio-emulator` command line: argument parsing and wiring only.
@main
struct FastIOEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastio-emulator",
        abstract: "A local, persistent Fast.io-compatible API server.",
        subcommands: [Serve.self, Import.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the API server (default).")

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free port).") var listen: String = "127.0.0.1:0"
    @Option(help: "Data directory (SQLite metadata and blob files).") var data: String
    @Option(help: "Bearer token of the primary user.") var token: String?
    @Option(help: "Extra user NAME:TOKEN (repeatable).") var user: [String] = []
    @Option(help: "Seed data set (only `demo`).") var seed: String?
    @Option(name: .customLong("latency-ms"), help: "Delay every request by N milliseconds.") var latencyMs: Int = 0
    @Option(name: .customLong("fail-rate"), help: "Probability of an injected 503 or connection reset.") var failRate: Double = 0
    @Option(name: .customLong("rate-limit-rate"), help: "Probability of an injected 429.") var rateLimitRate: Double = 0
    @Option(help: "Envelope shape: flat or wrapped.") var envelope: String = "flat"
    @Option(name: .customLong("commit-delay-ms"),
            help: "Answer requests that commit file content N milliseconds after they took effect.") var commitDelayMs: Int = 0
    @Option(name: .customLong("upload-fail-rate"),
            help: "Probability of an injected 503 on the upload routes only.") var uploadFailRate: Double = 0
    @Option(name: .customLong("max-lock-seconds"),
            help: "Grant and renew locks for at most N seconds (to test lost locks).") var maxLockSeconds: Int?

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT")
        }
        let users = try user.map { spec -> UserToken in
            let parts = spec.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--user must be NAME:TOKEN") }
            return UserToken(name: String(parts[0]), token: String(parts[1]))
        }
        guard let mode = EnvelopeMode(rawValue: envelope) else { throw ValidationError("--envelope must be flat or wrapped") }
        if let seed, seed != "demo" { throw ValidationError("--seed supports only `demo`") }
        guard (0...1).contains(failRate), (0...1).contains(rateLimitRate), (0...1).contains(uploadFailRate) else {
            throw ValidationError("rates must be within 0...1")
        }
        if let maxLockSeconds, maxLockSeconds < 1 { throw ValidationError("--max-lock-seconds must be at least 1") }
        var config = EmulatorConfig(
            host: String(listen[..<colon]), port: port, dataDirectory: data, primaryToken: token, users: users,
            seedDemo: seed == "demo", latencyMs: max(0, latencyMs), failRate: failRate, rateLimitRate: rateLimitRate, envelope: mode)
        config.commitDelayMs = max(0, commitDelayMs)
        config.maxLockSeconds = maxLockSeconds
        config.uploadFailRate = uploadFailRate
        try await EmulatorServer(config: config).run()
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Load a local tree into a workspace.")

    @Option(help: "Data directory.") var data: String
    @Option(help: "Workspace folder_name (created if missing).") var workspace: String
    @Option(help: "Local directory to import.") var from: String

    func run() async throws {
        let started = Date()
        let summary = try Importer(dataDirectory: data, workspace: workspace, source: from).run()
        let seconds = Date().timeIntervalSince(started)
        FileHandle.standardError.write(Data(
            "imported \(summary.files) files, \(summary.folders) folders, \(summary.bytes) bytes in \(String(format: "%.2f", seconds)) s\n".utf8))
    }
}
