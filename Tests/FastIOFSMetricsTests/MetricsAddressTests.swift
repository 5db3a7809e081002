@testable import FastIOFSMetrics
import Testing

/// `--metrics-addr` parsing: loopback unless an explicit address says otherwise.
@Suite struct MetricsAddressTests {
    private func parse(_ text: String) throws -> MetricsAddress { try MetricsAddress(parsing: text) }

    @Test func aPortAloneOrLocalhostMeansTheIPv4Loopback() throws {
        for text in ["9100", ":9100", "localhost:9100", "LOCALHOST:9100", " 9100 "] {
            let address = try parse(text)
            #expect(address.host == "127.0.0.1", "\(text)")
            #expect(address.port == 9100)
            #expect(address.family == .ipv4)
            #expect(address.isLoopback)
            #expect(address.description == "127.0.0.1:9100")
        }
    }

    @Test func loopbackLiteralsAreLoopback() throws {
        #expect(try parse("127.0.0.1:9100").isLoopback)
        #expect(try parse("127.8.9.10:1").isLoopback)
        let v6 = try parse("[::1]:9100")
        #expect(v6.isLoopback && v6.family == .ipv6 && v6.host == "::1")
        #expect(v6.description == "[::1]:9100")
        #expect(try parse("[::ffff:127.0.0.1]:9100").isLoopback)
    }

    @Test func anExplicitNonLoopbackAddressIsAcceptedAsTyped() throws {
        let any = try parse("0.0.0.0:9100")
        #expect(!any.isLoopback && any.host == "0.0.0.0")
        #expect(!(try parse("192.168.1.20:9100")).isLoopback)
        #expect(!(try parse("[::]:9100")).isLoopback)
        #expect(!(try parse("[2001:db8::1]:9100")).isLoopback)
        // What the daemon is re-executed with parses back to the same address.
        #expect(try parse(any.description) == any)
        #expect(try parse(try parse("[2001:db8::1]:80").description).host == "2001:db8::1")
    }

    @Test func namesOtherThanLocalhostAndBadPortsAreRefused() {
        for text in ["metrics.example.com:9100", "myhost:9100", "", ":", "9100x", "127.0.0.1:", "127.0.0.1:0",
                     "127.0.0.1:65536", "127.0.0.1:-1", "::1:9100", "[::1]9100", "[::1:9100", "[nothost]:9100",
                     "127.1:9100", "[127.0.0.1]:9100"] {
            #expect(throws: MetricsAddressError.self, "\(text)") { _ = try parse(text) }
        }
    }
}
