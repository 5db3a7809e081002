import Foundation
import Glibc

/// Where `--metrics-addr` serves: a numeric IP address and a port.
///
/// Invariants: `host` is an IPv4 or IPv6 address literal (never a name to resolve, so what is bound
/// is exactly what the user typed); a port alone, an empty host or `localhost` mean 127.0.0.1; any
/// other host name is refused; `isLoopback` holds exactly for 127.0.0.0/8, ::1 and IPv4-mapped
/// loopback. A non-loopback address is accepted only because it was typed as such; whoever starts
/// the server warns about it (see `MetricsEndpoint`).
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable, Equatable { case ipv4, ipv6 }

    public let host: String
    public let port: UInt16
    public let family: Family
    public let isLoopback: Bool

    /// The address as `--metrics-addr` takes it back: `127.0.0.1:9100`, `[::1]:9100`.
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public static let defaultHost = "127.0.0.1"

    /// `host` must be an address literal (IPv6 without brackets); port 0 asks the kernel for a free one.
    public init(host: String, port: UInt16) throws(MetricsAddressError) {
        if var v4 = Self.ipv4(host) {
            family = .ipv4
            isLoopback = withUnsafeBytes(of: &v4) { $0[0] } == 127
        } else if let v6 = Self.ipv6(host) {
            family = .ipv6
            isLoopback = Self.isLoopback(v6)
        } else {
            throw MetricsAddressError("'\(host)' is not an IP address; give 127.0.0.1, localhost, [::1] or an explicit address")
        }
        self.host = host
        self.port = port
    }

    /// Parses `PORT`, `:PORT`, `HOST:PORT` or `[IPV6]:PORT`; the port must be 1-65535.
    public init(parsing text: String) throws(MetricsAddressError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var host: Substring
        var portText: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else {
                throw MetricsAddressError("'\(text)': missing ']' after the IPv6 address")
            }
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.hasPrefix(":") else { throw MetricsAddressError("'\(text)': expected [IPV6]:PORT") }
            portText = rest.dropFirst()
            guard Self.ipv6(String(host)) != nil else {
                throw MetricsAddressError("'\(host)' is not an IPv6 address")
            }
        } else if let colon = trimmed.lastIndex(of: ":") {
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
            if host.contains(":") {
                throw MetricsAddressError("'\(text)': write an IPv6 address in brackets, e.g. [::1]:9100")
            }
        } else {
            host = ""
            portText = Substring(trimmed)
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = UInt16(portText), port > 0 else {
            throw MetricsAddressError("'\(text)': the port must be a number from 1 to 65535")
        }
        if host.isEmpty || host.lowercased() == "localhost" { host = Substring(Self.defaultHost) }
        try self.init(host: String(host), port: port)
    }

    /// The same address with another port (the one the kernel chose for port 0).
    func with(port: UInt16) -> MetricsAddress {
        MetricsAddress(host: host, port: port, family: family, isLoopback: isLoopback)
    }

    private init(host: String, port: UInt16, family: Family, isLoopback: Bool) {
        self.host = host; self.port = port; self.family = family; self.isLoopback = isLoopback
    }

    static func ipv4(_ host: String) -> in_addr? {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1 ? address : nil
    }

    static func ipv6(_ host: String) -> in6_addr? {
        var address = in6_addr()
        return inet_pton(AF_INET6, host, &address) == 1 ? address : nil
    }

    private static func isLoopback(_ address: in6_addr) -> Bool {
        var copy = address
        let bytes = withUnsafeBytes(of: &copy) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }   // ::1
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
        return Array(bytes[0..<12]) == mappedPrefix && bytes[12] == 127                // ::ffff:127.x.x.x
    }
}

/// Why a `--metrics-addr` value was refused; the message names the value and what would do.
public struct MetricsAddressError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
