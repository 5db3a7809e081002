import EmulatorHarness
import Foundation
import Testing

/// One emulator for one test: the primary user, a second user `other`, and fixture helpers for both.
/// Invariant: the process is stopped by PID when `withServer` returns or throws.
struct TestServer: Sendable {
    let emulator: EmulatorProcess
    let other: EmulatorUser

    var api: APIClient { emulator.api }
    var otherAPI: APIClient { emulator.client(as: other) }
    var fx: Fixtures { Fixtures(api) }
    var otherFx: Fixtures { Fixtures(otherAPI) }
    var anonymous: APIClient { emulator.client(token: nil) }
}

/// Starts an emulator (`--user other:…` always present), runs `body`, stops it.
func withServer<T: Sendable>(
    extraArguments: [String] = [],
    prepare: (@Sendable (URL) throws -> Void)? = nil,
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let other = EmulatorUser.random("other")
    let emulator = try await EmulatorProcess.start(users: [other], extraArguments: extraArguments, prepare: prepare)
    defer { emulator.stop() }
    do {
        return try await body(TestServer(emulator: emulator, other: other))
    } catch {
        Issue.record("emulator stderr tail:\n\(emulator.stderrTail(lines: 15))")
        throw error
    }
}

/// Starts an emulator with one fresh workspace owned by the primary user.
func withWorkspace<T: Sendable>(
    extraArguments: [String] = [],
    _ body: (TestServer, Fixtures.Workspace) async throws -> T
) async throws -> T {
    try await withServer(extraArguments: extraArguments) { server in
        let ws = try await server.fx.createWorkspace()
        return try await body(server, ws)
    }
}

// MARK: - expectations

/// Checks an error response: HTTP status, failure envelope, and optionally code and error_code name.
func expectError(_ r: APIResponse, status: Int, code: Int? = nil, name: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation)
{
    #expect(r.status == status, "expected HTTP \(status): \(r)", sourceLocation: sourceLocation)
    #expect(r.isFailureEnvelope, "expected an error envelope: \(r)", sourceLocation: sourceLocation)
    if let code {
        #expect(r.errorCode == code, "expected error.code \(code): \(r)", sourceLocation: sourceLocation)
    }
    if let name {
        #expect(r.errorName == name, "expected error.error_code \(name): \(r)", sourceLocation: sourceLocation)
    }
}

/// Checks a success response (2xx + result true/"yes") and returns its payload.
@discardableResult
func expectOK(_ r: APIResponse, sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
    #expect((200..<300).contains(r.status) && r.isSuccess, "expected success: \(r)", sourceLocation: sourceLocation)
    return r.payload
}

/// Unwraps or fails the test with a message (instead of trapping).
func need<T>(_ value: T?, _ message: @autoclosure () -> String,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> T
{
    try #require(value, "\(message())", sourceLocation: sourceLocation)
}

// MARK: - formats

enum Formats {
    /// 19-digit numeric profile id, first digit non-zero.
    static func isProfileId(_ s: String?) -> Bool {
        guard let s, s.count == 19, s.first != "0" else { return false }
        return s.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The canonical (un-hyphenated, lowercase) form of an OpaqueId.
    static func canonical(_ id: String) -> String { id.replacingOccurrences(of: "-", with: "").lowercased() }

    /// The display form: a dash every 5 characters.
    static func hyphenated(_ id: String) -> String {
        let raw = Array(canonical(id))
        return stride(from: 0, to: raw.count, by: 5).map { String(raw[$0..<min($0 + 5, raw.count)]) }
            .joined(separator: "-")
    }

    /// An OpaqueId in display form whose raw form is 29/30 lowercase alphanumerics starting with `type`.
    static func isOpaqueId(_ s: String?, type: Character) -> Bool {
        guard let s else { return false }
        let raw = canonical(s)
        guard raw.count == 29 || raw.count == 30, raw.first == type,
              raw.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) else { return false }
        return s == hyphenated(s)
    }

    static func matches(_ s: String?, _ pattern: String) -> Bool {
        guard let s else { return false }
        return s.range(of: pattern, options: .regularExpression) != nil
    }

    /// `Y-m-d H:i:s UTC`
    static func isServerTimestamp(_ s: String?) -> Bool {
        matches(s, #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$"#)
    }

    /// `Y-m-d H:i:s.uuuuuu UTC`
    static func isMicroTimestamp(_ s: String?) -> Bool {
        matches(s, #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} UTC$"#)
    }

    /// ISO 8601 with an explicit +00:00 offset (lock times).
    static func isISOOffsetTimestamp(_ s: String?) -> Bool {
        matches(s, #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)$"#)
    }

    static func sameId(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return false }
        return canonical(a) == canonical(b)
    }
}

extension Data {
    init(text: String) { self.init(text.utf8) }
}

extension [JSON] {
    var names: [String] { compactMap { $0["name"].string } }
    var ids: [String] { compactMap { $0["id"].string } }
    func named(_ name: String) -> JSON? { first { $0["name"].string == name } }
}

/// A node id that passes format checks but no longer exists (created, trashed, purged).
func vanishedNodeId(_ fx: Fixtures, _ ctx: StorageContext) async throws -> String {
    let id = try await fx.createFolder(ctx, name: "vanish-\(UInt32.random(in: 0...UInt32.max))")
    try fx.expectOK(await fx.api.delete(ctx.node(id, "delete")))
    try fx.expectOK(await fx.api.delete(ctx.node(id, "purge")))
    return id
}

/// Measures wall time of an async operation.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, TimeInterval) {
    let start = Date()
    let value = try await body()
    return (value, Date().timeIntervalSince(start))
}
