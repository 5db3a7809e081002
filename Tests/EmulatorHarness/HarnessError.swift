import Foundation

/// Errors raised by the harness; each carries enough context (route, status, body or stderr tail) to
/// diagnose a failing test without rerunning it.
public enum HarnessError: Error, CustomStringConvertible {
    case executableNotFound(name: String, searched: [String])
    case startupFailed(reason: String, stderrTail: String)
    case unexpectedResponse(route: String, status: Int, body: String)
    case timeout(what: String)
    case commandFailed(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case .executableNotFound(let name, let searched):
            return "executable \(name) not found in: \(searched.joined(separator: ", "))"
        case .startupFailed(let reason, let tail):
            return "emulator failed to start: \(reason)\n--- stderr tail ---\n\(tail)"
        case .unexpectedResponse(let route, let status, let body):
            return "\(route) -> HTTP \(status): \(body.prefix(2000))"
        case .timeout(let what):
            return "timed out: \(what)"
        case .commandFailed(let command, let status, let output):
            return "\(command) exited \(status): \(output.suffix(2000))"
        }
    }
}
