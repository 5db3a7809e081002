import Testing
@testable import FastIOEmulator

/// The streaming multipart parser must give the same parts whatever the buffer boundaries are.
struct MultipartParserTests {
    static let body = Array((
        "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"order\"\r\n\r\n3\r\n"
        + "--XyZ\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"chunk.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        + "ab\r\n--Xy\r\n--XyYZ tail bytes\r\n--XyZ--\r\nepilogue").utf8)

    static func parse(splitEvery n: Int) throws -> [(String?, [UInt8])] {
        var parser = MultipartParser(boundary: "XyZ")
        var parts: [(String?, [UInt8])] = []
        var i = 0
        while i < body.count {
            let slice = Array(body[i..<min(body.count, i + n)])
            for e in try parser.feed(slice) {
                switch e {
                case .partBegin(let h): parts.append((MultipartParser.disposition(h["content-disposition"]).name, []))
                case .data(let d): parts[parts.count - 1].1 += d
                case .partEnd: break
                }
            }
            i += n
        }
        try parser.finish()
        return parts
    }

    @Test(arguments: [1, 2, 3, 5, 7, 16, 1000])
    func partsIndependentOfSplit(size: Int) throws {
        let parts = try Self.parse(splitEvery: size)
        #expect(parts.count == 2)
        #expect(parts[0].0 == "order")
        #expect(String(decoding: parts[0].1, as: UTF8.self) == "3")
        #expect(parts[1].0 == "chunk")
        #expect(String(decoding: parts[1].1, as: UTF8.self) == "ab\r\n--Xy\r\n--XyYZ tail bytes")
    }

    /// A large binary part full of near-delimiters (`\r`, `\r\n--`, `\r\n--XyZ` less its last byte),
    /// fed as views in uneven buffers, comes out byte for byte.
    @Test(arguments: [1, 4093, 65536])
    func binaryPartThroughViewsIsExact(split: Int) throws {
        var generator = SystemRandomNumberGenerator()
        var content: [UInt8] = []
        while content.count < 300_000 {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: content += Array("\r\n--Xy-".utf8)  // never followed by the boundary's Z
            case 1: content += [0x0D]
            default: content += (0..<Int.random(in: 1..<700, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
        }
        let body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"c\"\r\n\r\n".utf8) + content
            + Array("\r\n--XyZ--\r\n".utf8)
        var parser = MultipartParser(boundary: "XyZ")
        var received: [UInt8] = []
        var ends = 0
        var index = 0
        while index < body.count {
            let piece = Array(body[index..<min(body.count, index + split)])
            try piece.withUnsafeBytes { raw in
                try parser.feed(raw) { event in
                    switch event {
                    case .partBegin: break
                    case .data(let view): received += view
                    case .partEnd: ends += 1
                    }
                }
            }
            index += split
        }
        try parser.finish()
        #expect(ends == 1)
        #expect(received == content)
    }

    @Test func missingClosingBoundaryIsAnError() throws {
        var parser = MultipartParser(boundary: "b")
        _ = try parser.feed(Array("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue".utf8))
        #expect(throws: MultipartParser.ParseError.self) { try parser.finish() }
    }

    @Test func boundaryFromContentType() {
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\"abc def\"") == "abc def")
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; charset=utf-8; boundary=xyz") == "xyz")
        #expect(MultipartParser.boundary(fromContentType: "application/json") == nil)
    }
}
