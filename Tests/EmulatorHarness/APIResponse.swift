import Foundation

/// One HTTP response from the emulator: status, headers (looked up case-insensitively), raw body, and
/// the envelope view that works for both envelope shapes (`payload = json["response"] ?? json`).
public struct APIResponse: Sendable, CustomStringConvertible {
    public let method: String
    public let url: URL
    public let status: Int
    /// Header names lowercased.
    public let headers: [String: String]
    public let body: Data

    public init(method: String, url: URL, status: Int, headers: [String: String], body: Data) {
        self.method = method
        self.url = url
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body parsed as JSON, or nil when it is not JSON (binary reads).
    public var json: JSON? { JSON.parse(body) }

    /// The envelope's payload: `response` when the wrapped shape is used, else the top-level object.
    public var payload: JSON {
        guard let json else { return .missing }
        let wrapped = json["response"]
        if case .object = wrapped { return wrapped }
        return json
    }

    /// `result` is `true` or `"yes"` (both envelope shapes).
    public var isSuccess: Bool {
        guard let result = json?["result"] else { return false }
        return result.bool == true || result.string == "yes"
    }

    /// `result` is `false` or `"no"`.
    public var isFailureEnvelope: Bool {
        guard let result = json?["result"] else { return false }
        return result.bool == false || result.string == "no"
    }

    /// `error.code` as an integer (servers send it as a number or as a numeric string).
    public var errorCode: Int? {
        let code = json?["error"]["code"] ?? .missing
        return code.int ?? code.string.flatMap { Int($0) }
    }

    /// `error.error_code`, the machine name such as `APP_ERROR_NOT_FOUND`.
    public var errorName: String? { json?["error"]["error_code"].string }

    public var text: String { String(decoding: body, as: UTF8.self) }

    public var description: String {
        let bodyText = json != nil ? text : "<\(body.count) bytes>"
        return "\(method) \(url.path)\(url.query.map { "?" + $0 } ?? "") -> \(status) \(bodyText.prefix(1500))"
    }
}
