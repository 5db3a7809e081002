/// Derives inode numbers from stable node keys, so the same node has the same inode across remounts.
///
/// Invariant: the result is a pure function of (key, attempt) and is never 0 (invalid) or 1 (the FUSE
/// root). `attempt` > 0 gives the deterministic probe sequence used when a number is already taken
/// by another key (64-bit FNV-1a: collisions are astronomically rare but handled).
public enum InodeHasher {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    public static func inode(forKey key: String, attempt: Int = 0) -> UInt64 {
        var hash = offsetBasis
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* prime
        }
        if attempt > 0 {
            for byte in "#\(attempt)".utf8 {
                hash ^= UInt64(byte)
                hash = hash &* prime
            }
        }
        return hash < 2 ? hash + 2 : hash
    }
}
