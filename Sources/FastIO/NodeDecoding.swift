/// What one node object from the server decoded to: a node the mount can use, with the fields that
/// had to be clamped or dropped (for the log), or why the entry cannot be used at all.
///
/// Invariants: a `usable` node has `size >= 0` and its times within
/// `APITimestamp.earliest...APITimestamp.latest`; `rejected` names the entry's canonical id when it
/// had one. Decoding never traps, whatever the server sent.
public enum NodeDecoding: Sendable, Equatable {
    case usable(RemoteNode, adjustments: [String])
    case rejected(id: String?, reason: String)

    /// A server value as a log shows it: its JSON text, cut to 40 characters.
    static func describe(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .null: text = "null"
        case .bool(let flag): text = String(flag)
        case .number(let number): text = number
        case .string(let string): text = "\"" + string + "\""
        case .array: text = "an array"
        case .object: text = "an object"
        }
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
