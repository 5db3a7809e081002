import Dispatch
import Foundation
import Hummingbird
import Logging
import Synchronization

/// Builds and runs the HTTP server for a configuration. Prints `listening on http://HOST:PORT` (flushed) as the
/// first stdout line once connections are accepted; stops cleanly on SIGTERM/SIGINT.
public struct EmulatorServer: Sendable {
    public let config: EmulatorConfig

    public init(config: EmulatorConfig) { self.config = config }

    public func run() async throws {
        var logger = Logger(label: "fastio-emulator")
        logger.logLevel = .info
        let emulator = try Emulator(config: config, logger: logger)
        if config.seedDemo { try DemoSeed.apply(emulator.store) }
        let dispatcher = Dispatcher(emulator: emulator)
        let responder = CallbackResponder<EmulatorContext> { request, context in
            try await dispatcher.handle(request, context)
        }
        let host = config.host
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: config.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            },
            logger: logger)
        let signals = ShutdownSignals(stopping: emulator.stopping)
        signals.install()
        try await app.runService()
    }
}

/// Flags shutdown for long-polls on SIGTERM/SIGINT (the server's own graceful shutdown runs alongside), and
/// force-exits if connections do not drain within 5 seconds.
final class ShutdownSignals: Sendable {
    private let stopping: StopFlag

    /// Signal sources must stay alive for the process lifetime; only touched during startup.
    nonisolated(unsafe) static var retained: [DispatchSourceSignal] = []

    init(stopping: StopFlag) { self.stopping = stopping }

    func install() {
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [stopping] in
                stopping.set()
                DispatchQueue.global().asyncAfter(deadline: .now() + 5) { exit(0) }
            }
            source.resume()
            ShutdownSignals.retained.append(source)
        }
    }
}
