import Testing
@testable import FastIO

@Suite("Endpoint resolution")
struct EndpointTests {
    @Test func defaultIsProduction() throws {
        #expect(try FastIOEndpoint.resolve(apiURL: nil, environment: [:]).absoluteString == "https://api.fast.io/current")
    }

    @Test func flagBeatsEnvironment() throws {
        let url = try FastIOEndpoint.resolve(apiURL: "https://a.example/current/", environment: ["FASTIO_API_URL": "https://b.example/x"])
        #expect(url.absoluteString == "https://a.example/current")
        #expect(try FastIOEndpoint.resolve(apiURL: nil, environment: ["FASTIO_API_URL": "https://b.example/x//"]).absoluteString == "https://b.example/x")
    }

    @Test func plainHTTPOnlyToLoopback() throws {
        #expect(try FastIOEndpoint.resolve(apiURL: "http://127.0.0.1:8080/current", environment: [:]).absoluteString == "http://127.0.0.1:8080/current")
        #expect(try FastIOEndpoint.resolve(apiURL: "http://127.1.2.3:9/current", environment: [:]).host == "127.1.2.3")
        #expect(try FastIOEndpoint.resolve(apiURL: "http://localhost:9/current", environment: [:]).host == "localhost")
        #expect(try FastIOEndpoint.resolve(apiURL: "http://[::1]:9/current", environment: [:]).port == 9)
        for refused in ["http://api.fast.io/current", "http://10.0.0.1/current", "http://128.0.0.1/current", "ftp://127.0.0.1/x"] {
            #expect(throws: FastIOError.self) { try FastIOEndpoint.resolve(apiURL: refused, environment: [:]) }
        }
    }

    @Test func emptyPathBecomesCurrent() throws {
        #expect(try FastIOEndpoint.resolve(apiURL: "http://127.0.0.1:4000", environment: [:]).absoluteString == "http://127.0.0.1:4000/current")
        #expect(try FastIOEndpoint.resolve(apiURL: "http://127.0.0.1:4000/", environment: [:]).absoluteString == "http://127.0.0.1:4000/current")
    }

    @Test func loopbackDetection() {
        #expect(FastIOEndpoint.isLoopback(host: "127.0.0.1"))
        #expect(FastIOEndpoint.isLoopback(host: "::1"))
        #expect(FastIOEndpoint.isLoopback(host: "[::1]"))
        #expect(FastIOEndpoint.isLoopback(host: "LOCALHOST"))
        #expect(FastIOEndpoint.isLoopback(host: "::ffff:127.0.0.1"))
        #expect(!FastIOEndpoint.isLoopback(host: "localhost.evil.com"))
        #expect(!FastIOEndpoint.isLoopback(host: "::2"))
        #expect(!FastIOEndpoint.isLoopback(host: "192.168.1.1"))
    }
}
