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

    /// The outcome of a whole body for a split size: parts' bytes, or nil when malformed.
    static func outcome(of body: [UInt8], boundary: String, splitEvery n: Int) -> [[UInt8]]? {
        var parser = MultipartParser(boundary: boundary)
        var parts: [[UInt8]] = []
        do {
            var i = 0
            while i < body.count {
                for e in try parser.feed(Array(body[i..<min(body.count, i + n)])) {
                    switch e {
                    case .partBegin: parts.append([])
                    case .data(let d): parts[parts.count - 1] += d
                    case .partEnd: break
                    }
                }
                i += n
            }
            try parser.finish()
        } catch {
            return nil
        }
        return parts
    }

    /// Found by the `multipart` fuzzer: a CRLF 1,047 bytes after a delimiter was accepted when the body
    /// came whole and refused when it came in small buffers. Limits on padding and header blocks now
    /// count from the delimiter, so both are refused, and just under each limit both are accepted.
    @Test(arguments: [(1023, true), (1024, true), (1025, false), (1047, false)])
    func paddingLimitIsTheSameForEverySplit(padding: Int, accepted: Bool) {
        let body = Array("--b".utf8) + [UInt8](repeating: 0x20, count: padding)
            + Array("\r\nName: x\r\n\r\nvalue\r\n--b--".utf8)
        let whole = Self.outcome(of: body, boundary: "b", splitEvery: body.count)
        #expect(whole == Self.outcome(of: body, boundary: "b", splitEvery: 1))
        #expect(whole == Self.outcome(of: body, boundary: "b", splitEvery: 7))
        #expect((whole != nil) == accepted)
    }

    @Test(arguments: [(16 * 1024 - 1, true), (16 * 1024, true), (16 * 1024 + 1, false), (20_000, false)])
    func headerBlockLimitIsTheSameForEverySplit(headerBytes: Int, accepted: Bool) {
        let header = "X: " + String(repeating: "h", count: headerBytes - 3)
        let body = Array("--b\r\n\(header)\r\n\r\nvalue\r\n--b--".utf8)
        let whole = Self.outcome(of: body, boundary: "b", splitEvery: body.count)
        #expect(whole == Self.outcome(of: body, boundary: "b", splitEvery: 1))
        #expect(whole == Self.outcome(of: body, boundary: "b", splitEvery: 13))
        #expect((whole != nil) == accepted)
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
