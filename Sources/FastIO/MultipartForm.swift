import Foundation

/// A `multipart/form-data` body of text fields plus one file part whose bytes are streamed from an
/// open descriptor (never loaded into memory).
///
/// Invariant: the boundary is random and never occurs in the text fields (checked); the body is
/// exactly preamble + file bytes + closing delimiter, so its length is known before sending.
struct MultipartForm {
    let boundary: String
    private let preamble: [UInt8]
    private let epilogue: [UInt8]

    init(fields: [(String, String)], fileField: String, fileName: String) {
        var boundary: String
        repeat {
            boundary = "fastiofs-" + (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16) }.joined()
        } while fields.contains(where: { $0.1.contains(boundary) })
        self.boundary = boundary
        var text = ""
        for (name, value) in fields {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n\(value)\r\n"
        }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(fileField))\"; "
            + "filename=\"\(Self.quoted(fileName))\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        preamble = Array(text.utf8)
        epilogue = Array("\r\n--\(boundary)--\r\n".utf8)
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The body for `length` bytes of `fd` from `offset`.
    func body(fd: Int32, offset: Int64, length: Int64) -> UploadBodySource {
        UploadBodySource(segments: [.bytes(preamble), .file(fd: fd, offset: offset, length: length), .bytes(epilogue)])
    }

    /// Quotes a header parameter: `"` and line breaks are percent-encoded, as browsers do.
    static func quoted(_ value: String) -> String {
        value.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
