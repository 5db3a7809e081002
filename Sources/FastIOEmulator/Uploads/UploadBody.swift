import Foundation
import Hummingbird

/// Streams an upload request body to disk: multipart bodies go through `MultipartParser` (the file part — one with a
/// filename, or named `chunk`/`file` — is written to `destination`, other parts become fields); url-encoded bodies
/// become fields; any other body is the raw file content. Never holds file bytes in memory beyond one buffer.
/// The file is not fsynced: it is an upload's chunk, and the blob assembled from the chunks is (a chunk
/// survives an emulator crash, not a power loss).
struct UploadBody {
    var fields: [String: String] = [:]
    /// Bytes written to `destination`, nil when the body carried no file.
    var fileSize: Int64?

    static let fieldLimit = 1 << 20

    static func read(_ request: Request, destination: String, maxFileSize: Int64, rawAllowed: Bool) async throws -> UploadBody {
        var out = UploadBody()
        let contentType = request.headers[.contentType] ?? ""
        if let boundary = MultipartParser.boundary(fromContentType: contentType) {
            var parser = MultipartParser(boundary: boundary)
            var sink: FileSink?
            var fieldName: String?
            var fieldValue: [UInt8] = []
            defer { sink?.abandon() }
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { raw in
                    try parser.feed(raw) { piece in
                        switch piece {
                        case .partBegin(let headers):
                            let (name, filename) = MultipartParser.disposition(headers["content-disposition"])
                            if out.fileSize == nil, sink == nil, filename != nil || name == "chunk" || name == "file" {
                                sink = try FileSink(path: destination)
                                fieldName = nil
                            } else {
                                fieldName = name ?? ""
                                fieldValue = []
                            }
                        case .data(let bytes):
                            if let s = sink, fieldName == nil {
                                try s.write(bytes)
                                if s.written > maxFileSize { throw APIError.invalid("The file part exceeds the allowed size.", param: "chunk") }
                            } else {
                                fieldValue.append(contentsOf: bytes)
                                if fieldValue.count > fieldLimit { throw APIError.invalid("Form field too large.") }
                            }
                        case .partEnd:
                            if let s = sink, fieldName == nil {
                                try s.closeWithoutSync()
                                out.fileSize = s.written
                                sink = nil
                                fieldName = ""
                            } else if let name = fieldName, out.fields[name] == nil {
                                out.fields[name] = String(decoding: fieldValue, as: UTF8.self)
                            }
                        }
                    }
                }
            }
            do { try parser.finish() } catch { throw APIError.invalid("Malformed multipart body.") }
            return out
        }
        if !rawAllowed || contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            let buffer = try await request.body.collect(upTo: fieldLimit)
            out.fields = FormDecoding.decode(Substring(String(buffer: buffer)))
            return out
        }
        let sink = try FileSink(path: destination)
        do {
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { try sink.write($0) }
                if sink.written > maxFileSize { throw APIError.invalid("The body exceeds the allowed size.") }
            }
            try sink.closeWithoutSync()
        } catch {
            sink.abandon()
            unlink(destination)
            throw error
        }
        out.fileSize = sink.written
        return out
    }
}
