/// Maps file names to a MIME type and the API's coarse `mimecategory`.
enum MimeTypes {
    static let table: [String: (String, String)] = [
        "txt": ("text/plain", "text"), "md": ("text/markdown", "text"), "csv": ("text/csv", "text"),
        "html": ("text/html", "text"), "json": ("application/json", "text"), "xml": ("application/xml", "text"),
        "pdf": ("application/pdf", "document"), "doc": ("application/msword", "document"),
        "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
        "png": ("image/png", "image"), "jpg": ("image/jpeg", "image"), "jpeg": ("image/jpeg", "image"),
        "gif": ("image/gif", "image"), "mp4": ("video/mp4", "video"), "mp3": ("audio/mpeg", "audio"),
        "zip": ("application/zip", "archive"), "gz": ("application/gzip", "archive"),
        "bin": ("application/octet-stream", "other"), "swift": ("text/x-swift", "text"),
    ]

    static func lookup(_ name: String) -> (mimetype: String, category: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return ("application/octet-stream", "other")
        }
        let ext = name[name.index(after: dot)...].lowercased()
        let hit = table[ext] ?? ("application/octet-stream", "other")
        return (hit.0, hit.1)
    }
}
