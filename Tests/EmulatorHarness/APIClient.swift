import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client for the Fast.io API as served by the emulator. Paths are relative to
/// `baseURL` (which ends in `/current`). It never follows redirects blindly with the token (it does not
/// follow them at all) and never logs the token. Immutable; `withToken` makes a copy.
public struct APIClient: Sendable {
    public let baseURL: URL
    public let token: String?
    public let timeout: TimeInterval
    private let session: URLSession

    public init(baseURL: URL, token: String?, timeout: TimeInterval = 120) {
        self.baseURL = baseURL
        self.token = token
        self.timeout = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        config.httpMaximumConnectionsPerHost = 8
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        self.session = URLSession(configuration: config, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// A client for the same server with another bearer token (nil: no Authorization header).
    public func withToken(_ token: String?) -> APIClient {
        APIClient(baseURL: baseURL, token: token, timeout: timeout)
    }

    /// The absolute URL of `path` (relative to /current) with the query appended.
    public func url(_ path: String, query: [String: String] = [:]) -> URL {
        var trimmed = path
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        var string = baseURL.absoluteString
        if !string.hasSuffix("/") { string += "/" }
        string += trimmed
        if !query.isEmpty {
            string += (string.contains("?") ? "&" : "?") + FormEncoding.encode(query)
        }
        return URL(string: string)!
    }

    public func get(_ path: String, query: [String: String] = [:], headers: [String: String] = [:]) async throws
        -> APIResponse
    {
        try await send("GET", path, query: query, headers: headers)
    }

    public func head(_ path: String, query: [String: String] = [:], headers: [String: String] = [:]) async throws
        -> APIResponse
    {
        try await send("HEAD", path, query: query, headers: headers)
    }

    /// POST with an application/x-www-form-urlencoded body.
    public func post(_ path: String, form: [String: String] = [:], query: [String: String] = [:],
                     headers: [String: String] = [:]) async throws -> APIResponse
    {
        var all = headers
        all["Content-Type"] = "application/x-www-form-urlencoded"
        return try await send("POST", path, query: query, headers: all, body: Data(FormEncoding.encode(form).utf8))
    }

    /// POST multipart/form-data: text fields first, then the optional file part.
    public func postMultipart(_ path: String, fields: [(String, String)] = [], file: MultipartFile? = nil,
                              query: [String: String] = [:], headers: [String: String] = [:]) async throws
        -> APIResponse
    {
        var body = MultipartBody()
        for (name, value) in fields { body.addField(name, value) }
        if let file { try body.addFile(file) }
        body.finish()
        var all = headers
        all["Content-Type"] = body.contentType
        return try await send("POST", path, query: query, headers: all, body: body.data)
    }

    /// POST a raw body (e.g. stream uploads).
    public func postRaw(_ path: String, body: Data, contentType: String = "application/octet-stream",
                        query: [String: String] = [:], headers: [String: String] = [:]) async throws -> APIResponse
    {
        var all = headers
        all["Content-Type"] = contentType
        return try await send("POST", path, query: query, headers: all, body: body)
    }

    /// DELETE, optionally with a form-encoded body.
    public func delete(_ path: String, form: [String: String]? = nil, query: [String: String] = [:],
                       headers: [String: String] = [:]) async throws -> APIResponse
    {
        var all = headers
        var body: Data?
        if let form {
            all["Content-Type"] = "application/x-www-form-urlencoded"
            body = Data(FormEncoding.encode(form).utf8)
        }
        return try await send("DELETE", path, query: query, headers: all, body: body)
    }

    /// Any method; the bearer token is added unless `headers` sets Authorization itself.
    public func send(_ method: String, _ path: String, query: [String: String] = [:],
                     headers: [String: String] = [:], body: Data? = nil) async throws -> APIResponse
    {
        let target = url(path, query: query)
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let token, !headers.keys.contains(where: { $0.lowercased() == "authorization" }) {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = body
            request.setValue("", forHTTPHeaderField: "Expect")
        }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else {
            throw HarnessError.unexpectedResponse(route: "\(method) \(target.path)", status: -1, body: "not HTTP")
        }
        var headerMap: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headerMap[String(describing: key).lowercased()] = String(describing: value)
        }
        return APIResponse(method: method, url: target, status: http.statusCode, headers: headerMap, body: data)
    }
}

/// Refuses every redirect so a bearer token is never replayed to another location.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest) async -> URLRequest?
    {
        nil
    }
}
