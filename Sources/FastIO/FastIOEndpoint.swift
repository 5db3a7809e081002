import Foundation
import Glibc

/// Chooses the API base URL: `--api-url`, else `FASTIO_API_URL`, else `https://api.fast.io/current`.
///
/// Invariants: the result has scheme http or https, a host, no trailing slash, and a path (an empty
/// path becomes `/current`, so `http://127.0.0.1:PORT` from the emulator's banner works); plain http
/// is refused unless the host is loopback (127.0.0.0/8, ::1, localhost), so a token never crosses a
/// network unencrypted.
public enum FastIOEndpoint {
    public static let defaultURL = "https://api.fast.io/current"

    public static func resolve(apiURL: String?, environment: [String: String]) throws -> URL {
        let chosen = [apiURL, environment["FASTIO_API_URL"]]
            .compactMap { $0?.trimmingWhitespace() }.first { !$0.isEmpty } ?? defaultURL
        guard var components = URLComponents(string: chosen), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw FastIOError.configuration("invalid API URL '\(chosen)'")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil,
              components.password == nil else {
            throw FastIOError.configuration("the API URL must not carry a query, fragment or credentials")
        }
        switch scheme {
        case "https": break
        case "http":
            guard isLoopback(host: host) else {
                throw FastIOError.configuration(
                    "refusing plain http to \(host): tokens are only sent over https (or http to loopback)")
            }
        default:
            throw FastIOError.configuration("unsupported API URL scheme '\(scheme)' (use https)")
        }
        components.scheme = scheme
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        components.path = path.isEmpty ? "/current" : path
        guard let url = components.url else { throw FastIOError.configuration("invalid API URL '\(chosen)'") }
        return url
    }

    /// localhost, 127.0.0.0/8, ::1 (bracketed or not) and IPv4-mapped loopback.
    public static func isLoopback(host rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "localhost." { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
            return mapped && bytes[12] == 127
        }
        return false
    }
}
