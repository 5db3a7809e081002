/// Makes request targets safe to log.
///
/// Invariant: the value of every secret-bearing query parameter (`token`, `lock_token`, `api_key`,
/// `password`, `auth_token`) is replaced by `<redacted>`; nothing else changes.
public enum LogRedaction {
    static let secretKeys: Set<String> = ["token", "lock_token", "api_key", "password", "auth_token", "access_token"]

    public static func redact(_ target: String) -> String {
        guard let question = target.firstIndex(of: "?") else { return target }
        let path = target[..<question]
        let query = target[target.index(after: question)...]
        let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            guard let equals = item.firstIndex(of: "=") else { return String(item) }
            let key = item[..<equals].lowercased()
            return secretKeys.contains(key) ? "\(item[..<equals])=<redacted>" : String(item)
        }
        return path + "?" + items.joined(separator: "&")
    }
}
