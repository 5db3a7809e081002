import Foundation
import Glibc
import Testing
@testable import FastIO

@Suite("Credentials resolution")
struct CredentialsTests {
    /// A temporary HOME with an optional Fast.io CLI config; removed at the end of each test.
    final class TempHome {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "fastio-creds-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func writeCLI(under base: String? = nil, config: String?, credentials: String) throws {
            let dir = (base ?? path + "/.config") + "/fastio-cli"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if let config { try config.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8) }
            try credentials.write(toFile: dir + "/credentials.json", atomically: true, encoding: .utf8)
        }

        func file(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
            let file = path + "/" + name
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            chmod(file, mode_t(mode))
            return file
        }
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func environmentTokenComesFirst() throws {
        let home = try TempHome()
        let file = try home.file("tok", "from-file\n")
        let env = ["FASTIO_TOKEN": "env-token", "FASTIO_API_KEY": "env-key", "HOME": home.path]
        #expect(try FastIOCredentials.resolve(tokenFile: file, environment: env, now: now) == "env-token")
    }

    @Test func apiKeyWhenNoToken() throws {
        let env = ["FASTIO_TOKEN": "  ", "FASTIO_API_KEY": "env-key", "HOME": "/nonexistent"]
        #expect(try FastIOCredentials.resolve(tokenFile: nil, environment: env, now: now) == "env-key")
    }

    @Test func tokenFileIsTrimmed() throws {
        let home = try TempHome()
        let file = try home.file("tok", "\n  secret-from-file  \n")
        #expect(try FastIOCredentials.resolve(tokenFile: file, environment: ["HOME": home.path], now: now) == "secret-from-file")
    }

    @Test func worldReadableTokenFileStillWorks() throws {
        let home = try TempHome()
        let file = try home.file("tok", "abc", mode: 0o644)
        #expect(try FastIOCredentials.resolve(tokenFile: file, environment: ["HOME": home.path], now: now) == "abc")
    }

    @Test func emptyOrMissingTokenFileIsAnErrorWithoutContent() throws {
        let home = try TempHome()
        let empty = try home.file("empty", "   \n")
        #expect(throws: FastIOError.self) { try FastIOCredentials.resolve(tokenFile: empty, environment: ["HOME": home.path], now: now) }
        #expect(throws: FastIOError.self) { try FastIOCredentials.resolve(tokenFile: home.path + "/nope", environment: ["HOME": home.path], now: now) }
    }

    @Test func cliAPIKeyPreferredOverJWT() throws {
        let home = try TempHome()
        try home.writeCLI(config: #"{"default_profile":"default"}"#,
                          credentials: #"{"profiles":{"default":{"token":"jwt","api_key":"cli-key","expires_at":1900000000}}}"#)
        #expect(try FastIOCredentials.resolve(tokenFile: nil, environment: ["HOME": home.path], now: now) == "cli-key")
    }

    @Test func cliJWTWhenNotExpired() throws {
        let home = try TempHome()
        try home.writeCLI(config: nil, credentials: #"{"profiles":{"default":{"token":"jwt-ok","api_key":"","expires_at":1900000000}}}"#)
        #expect(try FastIOCredentials.resolve(tokenFile: nil, environment: ["HOME": home.path], now: now) == "jwt-ok")
    }

    @Test func expiredCLIJWTSaysToLogInAndHidesTheToken() throws {
        let home = try TempHome()
        try home.writeCLI(config: nil, credentials: #"{"profiles":{"default":{"token":"jwt-expired-SECRET","expires_at":1700000000}}}"#)
        do {
            _ = try FastIOCredentials.resolve(tokenFile: nil, environment: ["HOME": home.path], now: now)
            Issue.record("expected an error")
        } catch let error as FastIOError {
            #expect(error.message.contains("fastio auth login"))
            #expect(!error.description.contains("SECRET"))
            #expect(error.errno == EACCES)
        }
    }

    @Test func defaultProfileFromConfigAndXDGConfigHome() throws {
        let home = try TempHome()
        let xdg = home.path + "/xdg"
        try home.writeCLI(under: xdg, config: #"{"default_profile":"work","profiles":{}}"#,
                          credentials: #"{"profiles":{"default":{"api_key":"default-key"},"work":{"api_key":"work-key"}}}"#)
        let env = ["HOME": home.path, "XDG_CONFIG_HOME": xdg]
        #expect(try FastIOCredentials.resolve(tokenFile: nil, environment: env, now: now) == "work-key")
    }

    @Test func fallsBackToDefaultProfile() throws {
        let home = try TempHome()
        try home.writeCLI(config: #"{"default_profile":"gone"}"#, credentials: #"{"profiles":{"default":{"api_key":"default-key"}}}"#)
        #expect(try FastIOCredentials.resolve(tokenFile: nil, environment: ["HOME": home.path], now: now) == "default-key")
    }

    @Test func nothingFoundExplainsTheOptions() throws {
        let home = try TempHome()
        do {
            _ = try FastIOCredentials.resolve(tokenFile: nil, environment: ["HOME": home.path], now: now)
            Issue.record("expected an error")
        } catch let error as FastIOError {
            #expect(error.message.contains("FASTIO_TOKEN"))
            #expect(error.message.contains("--token-file"))
        }
    }
}
