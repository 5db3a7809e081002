import EmulatorHarness
import Foundation
import Testing

/// Injected faults: 429 with rate-limit headers, 503/connection resets, latency.
@Suite struct FaultTests {
    @Test func rateLimitRateOneAnswers429WithHeaders() async throws {
        try await withServer(extraArguments: ["--rate-limit-rate", "1"]) { server in
            for _ in 0..<3 {
                let r = try await server.api.get("user/auth/check/")
                expectError(r, status: 429, code: 1671, name: "APP_ENHANCE_CALM")
                #expect(r.header("x-ve-limit-avail") == "0", "\(r.headers)")
                #expect(r.header("x-ve-limit-max").flatMap { Int($0) } != nil)
                let now = Date().timeIntervalSince1970
                let expires = Double(r.header("x-ve-limit-expires") ?? "") ?? 0
                #expect(expires >= now - 1 && expires <= now + 3, "expires \(expires) vs now \(now)")
            }
        }
    }

    @Test func failRateOneFailsEveryRequestBothWays() async throws {
        try await withServer(extraArguments: ["--fail-rate", "1"]) { server in
            var resets = 0
            var unavailable = 0
            for _ in 0..<24 {
                do {
                    let r = try await server.api.get("user/auth/check/")
                    #expect(r.status == 503 && r.isFailureEnvelope, "only 503 or a reset allowed: \(r)")
                    if r.status == 503 { unavailable += 1 }
                } catch {
                    resets += 1
                }
            }
            #expect(resets > 0, "some requests must end in a connection reset")
            #expect(unavailable > 0, "some requests must get 503")
            #expect(server.emulator.isRunning, "faults must not kill the server")
        }
    }

    @Test func faultsNeverCorruptState() async throws {
        let other = EmulatorUser.random("other")
        let emulator = try await EmulatorProcess.start(users: [other])
        defer { emulator.stop() }
        let ws = try await Fixtures(emulator.api).createWorkspace()
        emulator.stop()
        // Restart the same data with a 50% fault rate: failed creates must leave nothing half-done.
        let faulty = try await EmulatorProcess.start(token: emulator.primaryToken, users: [other],
                                                     extraArguments: ["--fail-rate", "0.5"],
                                                     dataDirectory: emulator.dataDirectory)
        defer { faulty.stop() }
        var created = 0
        for i in 0..<20 {
            if let r = try? await faulty.api.post(ws.context.node("root", "createfolder"), form: ["name": "f\(i)"]),
               r.isSuccess
            {
                created += 1
            }
        }
        faulty.stop()
        try await emulator.relaunch()
        let names = try await Fixtures(emulator.api).listAll(ws.context).names
        #expect(names.count >= created, "every acknowledged create must persist (\(names.count) < \(created))")
        #expect(names.allSatisfy { $0.hasPrefix("f") } && Set(names).count == names.count)
    }

    @Test func latencyIsAddedToEveryRequest() async throws {
        try await withServer(extraArguments: ["--latency-ms", "400"]) { server in
            let (r, elapsed) = try await timed { try await server.api.get("user/auth/check/") }
            #expect(r.isSuccess)
            #expect(elapsed >= 0.38, "latency not applied: \(elapsed) s")
            let (e, errElapsed) = try await timed { try await server.anonymous.get("user/auth/check/") }
            #expect(e.status == 401 && errElapsed >= 0.38, "latency applies to errors too: \(errElapsed) s")
        }
    }
}
