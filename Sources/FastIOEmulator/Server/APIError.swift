import HTTPTypes

/// An API failure: HTTP status plus the error envelope's numeric code, machine name and text.
struct APIError: Error, Sendable {
    let status: HTTPResponse.Status
    let code: Int
    let name: String
    let text: String
    var params: JSON? = nil

    static func invalid(_ text: String, param: String? = nil) -> APIError {
        var e = APIError(status: .badRequest, code: 1605, name: "APP_ERROR_INPUT_INVALID", text: text)
        if let param {
            e.params = .array([.obj([("name", .string(param)), ("kind", "invalid"), ("code", 10023), ("message", .string(text))])])
        }
        return e
    }
    static func missing(_ param: String) -> APIError {
        var e = APIError(status: .badRequest, code: 1605, name: "APP_ERROR_INPUT_INVALID", text: "Missing required parameter: \(param)")
        e.params = .array([.obj([("name", .string(param)), ("kind", "missing"), ("code", 10022), ("message", .string("\(param) is required"))])])
        return e
    }
    static func notFound(_ text: String = "The requested resource was not found.") -> APIError {
        APIError(status: .notFound, code: 1609, name: "APP_ERROR_NOT_FOUND", text: text)
    }
    static let auth = APIError(status: .unauthorized, code: 1650, name: "APP_AUTH_INVALID", text: "Authentication required: the token is missing or invalid.")
    static let wrongMethod = APIError(status: .badRequest, code: 1651, name: "APP_INVALID_REQUEST_TYPE", text: "Invalid request type for this endpoint.")
    static func denied(_ text: String) -> APIError { APIError(status: .forbidden, code: 1680, name: "APP_DENIED", text: text) }
    /// shares.md: a share that exists but that the caller may not see.
    static let shareDenied = APIError(status: .forbidden, code: 144499, name: "APP_DENIED", text: "You do not have permissions to view this share.")
    /// `createnote`, `updatenote` and `addlink` exist for workspaces only.
    static let notInShares = APIError(status: .notFound, code: 9992, name: "APP_UNKNOWN_ROUTE", text: "Unknown route: notes and links are not available in shares.")
    static func conflict(_ text: String) -> APIError { APIError(status: .conflict, code: 1660, name: "APP_CONFLICT", text: text) }
    static func notAcceptable(_ text: String) -> APIError { APIError(status: .notAcceptable, code: 1658, name: "APP_NOT_ACCEPTABLE", text: text) }
    static let calm = APIError(status: .tooManyRequests, code: 1671, name: "APP_ENHANCE_CALM", text: "Rate limit exceeded; slow down.")
    static let unknownRoute = APIError(status: .notFound, code: 9992, name: "APP_UNKNOWN_ROUTE", text: "Unknown route.")
    static let unavailable = APIError(status: .serviceUnavailable, code: 1654, name: "APP_SERVICE_UNAVAILABLE", text: "Injected failure: service temporarily unavailable.")
    static func badHash(_ text: String) -> APIError { APIError(status: .notAcceptable, code: 10778, name: "APP_BAD_HASH", text: text) }
    static func internalError(_ text: String) -> APIError { APIError(status: .internalServerError, code: 1665, name: "APP_INTERNAL_ERROR", text: text) }
}
