import Foundation

/// A file part of a multipart/form-data request, from bytes or from a file on disk.
public struct MultipartFile: Sendable {
    public enum Source: Sendable {
        case data(Data)
        case file(URL)
    }
    public var fieldName: String
    public var fileName: String
    public var contentType: String
    public var source: Source

    public init(fieldName: String = "chunk", fileName: String, contentType: String = "application/octet-stream",
                data: Data) {
        self.fieldName = fieldName
        self.fileName = fileName
        self.contentType = contentType
        self.source = .data(data)
    }

    public init(fieldName: String = "chunk", fileName: String, contentType: String = "application/octet-stream",
                fileURL: URL) {
        self.fieldName = fieldName
        self.fileName = fileName
        self.contentType = contentType
        self.source = .file(fileURL)
    }

    func bytes() throws -> Data {
        switch source {
        case .data(let data): return data
        case .file(let url): return try Data(contentsOf: url)
        }
    }
}

/// Builds a multipart/form-data body. Invariant: the boundary is random and never occurs in the
/// text fields (it is 32 random hex chars after a fixed prefix).
public struct MultipartBody: Sendable {
    public let boundary: String
    public private(set) var data = Data()

    public init() {
        boundary = "fastiofs-test-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func addField(_ name: String, _ value: String) {
        append("--\(boundary)\r\n")
        append("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n")
        append(value)
        append("\r\n")
    }

    public mutating func addFile(_ file: MultipartFile) throws {
        append("--\(boundary)\r\n")
        append("Content-Disposition: form-data; name=\"\(file.fieldName)\"; filename=\"\(file.fileName)\"\r\n")
        append("Content-Type: \(file.contentType)\r\n\r\n")
        data.append(try file.bytes())
        append("\r\n")
    }

    public mutating func finish() {
        append("--\(boundary)--\r\n")
    }

    private mutating func append(_ string: String) { data.append(contentsOf: Array(string.utf8)) }
}

/// application/x-www-form-urlencoded encoding (also used for query strings).
public enum FormEncoding {
    private static let allowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    public static func escape(_ string: String) -> String {
        string.addingPercentEncoding(withAllowedCharacters: allowed) ?? string
    }

    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    public static func encode(_ dict: [String: String]) -> String {
        encode(dict.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
}
