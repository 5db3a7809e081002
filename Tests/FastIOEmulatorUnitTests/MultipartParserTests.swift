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
