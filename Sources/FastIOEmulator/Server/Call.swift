import Hummingbird

/// One authenticated API call after routing: method, path segments below `/current/`, query and form fields.
struct Call: Sendable {
    let method: HTTPRequest.Method
    let segments: [String]
    let query: [String: String]
    var form: [String: String]
    /// The authenticated user; nil only for `/read/?token=` requests.
    let user: UserRow?
    let headers: HTTPFields

    /// A parameter from the form body, else the query string.
    func param(_ name: String) -> String? { form[name] ?? query[name] }

    func required(_ name: String) throws -> String {
        guard let v = param(name), !v.isEmpty else { throw APIError.missing(name) }
        return v
    }

    func int(_ name: String) throws -> Int? {
        guard let v = param(name), !v.isEmpty else { return nil }
        guard let i = Int(v) else { throw APIError.invalid("\(name) must be an integer", param: name) }
        return i
    }

    func flag(_ name: String) -> Bool {
        guard let v = param(name)?.lowercased() else { return false }
        return v == "true" || v == "1" || v == "yes"
    }

    var me: UserRow {
        get throws {
            guard let user else { throw APIError.auth }
            return user
        }
    }
}

/// Parsing of `application/x-www-form-urlencoded` text and query strings.
enum FormDecoding {
    static func decode(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = unescape(kv[0])
            let value = kv.count > 1 ? unescape(kv[1]) : ""
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    static func unescape(_ s: Substring) -> String {
        let plusFixed = s.replacingOccurrences(of: "+", with: " ")
        return plusFixed.removingPercentEncoding ?? plusFixed
    }
}
