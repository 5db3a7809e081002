/// Compares file contents for `#expect` without swift-testing's element-wise diff of two arrays,
/// which takes minutes on mismatching arrays of hundreds of KiB (a failing test would look hung).
enum ByteMismatch {
    /// nil when equal, else where they first differ.
    static func of(_ got: [UInt8], _ expected: [UInt8]) -> String? {
        if got == expected { return nil }
        let common = min(got.count, expected.count)
        let first = (0..<common).first { got[$0] != expected[$0] } ?? common
        return "\(got.count) bytes, expected \(expected.count); first difference at offset \(first)"
    }
}
