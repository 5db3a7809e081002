/// One logical API call, before retries: method, path under the base URL, query, body, how it is
/// counted and logged, and whether it may be repeated.
///
/// Invariant: `path` has no leading slash and ends with `/` (the API's convention); `route` is a
/// template without ids (`GET storage/list`) used as the counter key.
struct APIRequest {
    var method: CurlTransfer.Method
    var path: String
    var query: [(String, String)] = []
    var form: [(String, String)]?
    var route: String
    /// GET is always idempotent; other methods only when the caller says so.
    var idempotent: Bool
    /// Extra seconds a server may legitimately stay silent (long-poll `wait`).
    var serverWait: Double = 0
    /// Aborts the transfer and any retry wait when cancelled (long-polls).
    var cancellation: TransferCancellation?

    init(_ method: CurlTransfer.Method, _ path: String, route: String, query: [(String, String)] = [],
         form: [(String, String)]? = nil, idempotent: Bool? = nil) {
        self.method = method
        self.path = path
        self.route = route
        self.query = query
        self.form = form
        self.idempotent = idempotent ?? (method == .get)
    }

    /// The target with query, relative to the base URL.
    var target: String {
        query.isEmpty ? path : path + "?" + URLEncoding.query(query)
    }
}
