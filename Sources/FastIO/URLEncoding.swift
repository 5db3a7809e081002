/// Percent-encoding for path segments, query strings and `application/x-www-form-urlencoded` bodies.
///
/// Invariant: only RFC 3986 unreserved bytes (`A-Z a-z 0-9 - . _ ~`) stay literal; every other
/// UTF-8 byte is `%XX`, so ids, cursors and names can never change a request's structure.
enum URLEncoding {
    static func component(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `a=1&b=x%20y`, in the given order.
    static func query(_ items: [(String, String)]) -> String {
        items.map { component($0.0) + "=" + component($0.1) }.joined(separator: "&")
    }
}
