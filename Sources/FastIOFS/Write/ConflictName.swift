import Foundation

/// The name of a conflict copy: `name (conflict YYYY-MM-DD HHMMSS).ext` (UTC), the extension kept.
///
/// Invariant: the result differs from `name` and keeps its last extension (a leading dot, as in
/// `.bashrc`, is part of the name, not an extension).
enum ConflictName {
    static func make(_ name: String, at date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(format: "%04d-%02d-%02d %02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot]) (conflict \(stamp))\(name[dot...])"
        }
        return "\(name) (conflict \(stamp))"
    }
}
