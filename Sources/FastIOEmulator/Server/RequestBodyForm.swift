import Hummingbird

/// Decodes small request bodies (url-encoded, multipart without large files, or a JSON object) into form fields.
enum RequestBodyForm {
    static let limit = 4 * 1024 * 1024

    static func collect(_ request: inout Request, headers: HTTPFields) async throws -> [String: String] {
        let contentType = headers[.contentType] ?? ""
        if let boundary = MultipartParser.boundary(fromContentType: contentType) {
            var parser = MultipartParser(boundary: boundary)
            var fields: [String: String] = [:]
            var current: String?
            var value: [UInt8] = []
            var total = 0
            for try await buffer in request.body {
                total += buffer.readableBytes
                if total > limit { throw APIError.invalid("Request body too large") }
                let events = try parser.feed(Array(buffer.readableBytesView))
                for e in events {
                    switch e {
                    case .partBegin(let h): current = MultipartParser.disposition(h["content-disposition"]).name; value = []
                    case .data(let d): value.append(contentsOf: d)
                    case .partEnd:
                        if let c = current, fields[c] == nil { fields[c] = String(decoding: value, as: UTF8.self) }
                        current = nil
                    }
                }
            }
            return fields
        }
        let buffer = try await request.body.collect(upTo: limit)
        let text = String(buffer: buffer)
        if contentType.lowercased().contains("json") || text.hasPrefix("{") {
            guard let json = JSON.parse(text) else { return [:] }
            var fields: [String: String] = [:]
            for (k, v) in json.pairs {
                switch v {
                case .string(let s): fields[k] = s
                case .int(let i): fields[k] = String(i)
                case .bool(let b): fields[k] = b ? "true" : "false"
                case .double(let d): fields[k] = String(d)
                case .null: break
                default: fields[k] = v.serialized()
                }
            }
            return fields
        }
        return FormDecoding.decode(Substring(text))
    }
}
