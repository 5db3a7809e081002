import Foundation

/// A parsed JSON document that keeps numbers as their exact text, so 19-digit profile ids that
/// arrive as JSON numbers are not rounded through `Double`.
///
/// Invariant: accessors are lenient in the ways the Fast.io API is inconsistent (numbers as strings,
/// `"yes"`/`"no"` booleans) and return nil instead of guessing otherwise.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    /// The number's decimal text (integers exact, up to UInt64; others via Double).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int64.self) { self = .number(String(value)); return }
        if let value = try? container.decode(UInt64.self) { self = .number(String(value)); return }
        if let value = try? container.decode(Double.self) { self = .number(String(value)); return }
        if let value = try? container.decode([String: JSONValue].self) { self = .object(value); return }
        self = .array(try container.decode([JSONValue].self))
    }

    /// Parses `data`; nil when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Strings as-is, numbers as their text; nil for anything else (including null).
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        default: return nil
        }
    }

    /// Integers from numbers or numeric strings (`"1234"`, `1234`, `1234.0`).
    public var int64Value: Int64? {
        switch self {
        case .number(let n), .string(let n):
            let t = n.trimmingCharacters(in: .whitespaces)
            if let v = Int64(t) { return v }
            if let d = Double(t), d.rounded() == d, abs(d) < 9.2e18 { return Int64(d) }
            return nil
        default: return nil
        }
    }

    /// `true`/`false`, `"yes"`/`"no"`, `"true"`/`"false"`, `1`/`0`.
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .number(let n): return n == "0" ? false : (n == "1" ? true : nil)
        case .string(let s):
            switch s.lowercased() {
            case "yes", "true", "1": return true
            case "no", "false", "0", "": return false
            default: return nil
            }
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }
}
