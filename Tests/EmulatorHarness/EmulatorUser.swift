/// An extra user passed to the emulator as `--user NAME:TOKEN`.
public struct EmulatorUser: Sendable, Hashable {
    public let name: String
    public let token: String

    public init(name: String, token: String) {
        self.name = name
        self.token = token
    }

    /// A user with a random token (tokens are never logged by the harness).
    public static func random(_ name: String) -> EmulatorUser {
        EmulatorUser(name: name, token: "tok-\(name)-" + String(UInt64.random(in: 1...UInt64.max), radix: 36))
    }

    var argument: String { "\(name):\(token)" }
}
