import Testing
@testable import FastIOEmulator

/// Pure wire-format helpers: ranges, ids, timestamps, page sizes, cursors, CRC-32C.
struct FormatTests {
    @Test func rangeForms() {
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .range(0...9))
        #expect(ByteRange.parse("bytes=90-", size: 100) == .range(90...99))
        #expect(ByteRange.parse("bytes=-10", size: 100) == .range(90...99))
        #expect(ByteRange.parse("bytes=50-500", size: 100) == .range(50...99))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=5-1", size: 100) == .none)
        #expect(ByteRange.parse("items=0-1", size: 100) == .none)
    }

    @Test func opaqueIdsRoundTrip() {
        let id = Identifiers.opaque("2")
        #expect(id.count == 29 && id.first == "2")
        let shown = Identifiers.display(id)
        #expect(shown.count == 34)
        #expect(Identifiers.canonical(shown.uppercased()) == id)
        #expect(Identifiers.canonical("root") == "root")
        #expect(Identifiers.canonical("not-an-id") == nil)
        let later = Identifiers.opaque("2")
        #expect(id.dropFirst().prefix(10) <= later.dropFirst().prefix(10))
    }

    @Test func profileIdsHave19Digits() {
        for _ in 0..<50 {
            let id = Identifiers.profileId()
            #expect(id.count == 19 && id.first != "0" && id.allSatisfy(\.isNumber))
        }
    }

    @Test func timestampFormats() {
        let micros: Int64 = 1_785_000_557_959_200
        let text = Timestamps.micro(micros)
        #expect(text.hasSuffix(".959200 UTC"))
        #expect(Timestamps.parse(text) == micros)
        #expect(Timestamps.plain(micros).count == "2026-07-23 19:29:17 UTC".count)
        #expect(Timestamps.iso(0) == "1970-01-01T00:00:00+00:00")
        #expect(Timestamps.parse("1970-01-01T00:00:10Z") == 10_000_000)
    }

    @Test func pageSizeSnaps() {
        #expect(ListCursor.snap(nil) == 100)
        #expect(ListCursor.snap(1) == 100)
        #expect(ListCursor.snap(200) == 250)
        #expect(ListCursor.snap(400) == 500)
        #expect(ListCursor.snap(100_000) == 500)
    }

    @Test func cursorIsSignedAndTamperEvident() {
        let signer = Signer(keyBytes: Array(repeating: 7, count: 32))
        let c = ListCursor(folder: "1:root", sort: "name", dir: "asc", lastKey: [.string("a")], lastId: "2abc", pageSize: 500)
        let token = c.encode(signer)
        #expect(ListCursor.decode(token, signer) == c)
        var tampered = Array(token)
        tampered[3] = tampered[3] == "A" ? "B" : "A"
        #expect(ListCursor.decode(String(tampered), signer) == nil)
        #expect(ListCursor.decode(token, Signer(keyBytes: Array(repeating: 8, count: 32))) == nil)
    }

    @Test func crc32cCheckValue() {
        var crc = CRC32C()
        Array("123456789".utf8).withUnsafeBytes { crc.update($0) }
        #expect(crc.hex == "e3069283")
    }

    @Test func chunkSetValidation() throws {
        try UploadSessions.validateChunks([(1, 4), (2, 4), (3, 2)], size: 10)
        #expect(throws: APIError.self) { try UploadSessions.validateChunks([(1, 4), (2, 2), (3, 4)], size: 10) }
        #expect(throws: APIError.self) { try UploadSessions.validateChunks([(1, 4), (2, 4)], size: 10) }
        #expect(throws: APIError.self) { try UploadSessions.validateChunks([(1, 4), (3, 4)], size: 8) }
    }
}
