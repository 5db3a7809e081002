import Foundation

/// Unwraps Fast.io's response envelope.
///
/// Both shapes coexist: `{"result":"yes","response":{…},"current_api_version":"1.0"}` and named keys
/// at top level `{"result":true,"node":{…}}`. Errors come as `{"result":false,"error":{"code":1650 or
/// "1650","text" or "message","error_code":"APP_AUTH_INVALID"}}`, as the flat
/// `{"result":false,"error_message":…,"error_code":…}`, or as a non-JSON body (proxy HTML).
/// Invariant: `payload` returns an object for every success; every failure becomes a `FastIOError`.
public enum APIEnvelope {
    /// The payload of a 2xx answer, or the error it carries.
    public static func payload(status: Int, body: Data, route: String?) -> Result<JSONValue, FastIOError> {
        guard (200..<300).contains(status) else {
            return .failure(error(status: status, body: body, route: route))
        }
        guard let root = JSONValue.parse(body), let fields = root.objectValue else {
            return .failure(FastIOError(kind: .invalidResponse, httpStatus: status,
                                        message: body.isEmpty ? "empty response" : "response is not a JSON object",
                                        route: route))
        }
        let failed: Bool
        if let result = fields["result"] {
            failed = result.boolValue != true
        } else {
            failed = fields["error"]?.objectValue != nil || fields["error_message"] != nil
        }
        if failed { return .failure(error(status: status, root: root, route: route)) }
        if let wrapped = fields["response"], case .object = wrapped { return .success(wrapped) }
        var named = fields
        named["result"] = nil
        named["current_api_version"] = nil
        return .success(.object(named))
    }

    /// The error a non-2xx answer (or a 2xx with a false `result`) carries.
    public static func error(status: Int, body: Data, route: String?) -> FastIOError {
        if let root = JSONValue.parse(body), root.objectValue != nil {
            return error(status: status, root: root, route: route)
        }
        return FastIOError(kind: .api, httpStatus: status, message: reasonPhrase(status), route: route)
    }

    static func error(status: Int, root: JSONValue, route: String?) -> FastIOError {
        var apiCode: Int?
        var errorCode: String?
        var message: String?
        switch root["error"] {
        case .object(let detail)?:
            let code = detail["code"]
            if let numeric = code?.int64Value { apiCode = Int(numeric) } else { errorCode = code?.stringValue }
            message = detail["text"]?.stringValue ?? detail["message"]?.stringValue
            if let named = detail["error_code"]?.stringValue { errorCode = named }
        case .string(let text)?:
            message = text
        default:
            break
        }
        message = message ?? root["error_message"]?.stringValue ?? root["message"]?.stringValue
        errorCode = errorCode ?? root["error_code"]?.stringValue
        if apiCode == nil, let code = root["code"]?.int64Value { apiCode = Int(code) }
        if errorCode != nil, apiCode == nil, let numeric = Int(errorCode!) {
            apiCode = numeric
            errorCode = nil
        }
        let text = (message?.isEmpty == false ? message! : reasonPhrase(status))
        return FastIOError(kind: .api, httpStatus: status, apiCode: apiCode, errorCode: errorCode,
                           message: text, route: route)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200..<300: return "request failed"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 416: return "Range Not Satisfiable"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "HTTP error"
        }
    }
}
