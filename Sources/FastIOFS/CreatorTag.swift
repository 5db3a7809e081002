/// A user id kept in 8 bytes per node: enough to tell "created by the mounting user" from "not".
///
/// Invariant: `unknown` (0) only when no id was given; any given id maps to a non-zero tag, equal ids
/// to equal tags (FNV-1a of the id's UTF-8 bytes; two different ids share a tag with probability 2^-64,
/// and the server still decides every change).
public struct CreatorTag: Sendable, Hashable {
    public let value: UInt64
    public static let unknown = CreatorTag(rawValue: 0)

    private init(rawValue: UInt64) { value = rawValue }

    public init(_ userID: String?) {
        guard let userID, !userID.isEmpty else {
            self = .unknown
            return
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in userID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        value = hash == 0 ? 1 : hash
    }

    public var isKnown: Bool { value != 0 }
}
