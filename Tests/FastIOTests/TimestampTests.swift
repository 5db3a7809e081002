import Foundation
import Testing
@testable import FastIO

@Suite("Timestamp parsing")
struct TimestampTests {
    // 2026-05-18 19:26:25 UTC
    let expected = 1_779_132_385.0

    @Test func realServerFormat() {
        #expect(APITimestamp.parse("2026-05-18 19:26:25 UTC")?.timeIntervalSince1970 == expected)
    }

    @Test func isoFormats() {
        #expect(APITimestamp.parse("2026-05-18T19:26:25Z")?.timeIntervalSince1970 == expected)
        #expect(APITimestamp.parse("2026-05-18T21:26:25+02:00")?.timeIntervalSince1970 == expected)
        #expect(APITimestamp.parse("2026-05-18T14:26:25-0500")?.timeIntervalSince1970 == expected)
        #expect(APITimestamp.parse("2026-05-18T19:26:25+00:00")?.timeIntervalSince1970 == expected)
    }

    @Test func microsecondsAndNoZone() throws {
        let date = try #require(APITimestamp.parse("2026-07-23 19:29:17.959200 UTC"))
        #expect(abs(date.timeIntervalSince1970 - 1_784_834_957.9592) < 1e-4)
        #expect(APITimestamp.parse("2026-05-18 19:26:25")?.timeIntervalSince1970 == expected)
        #expect(APITimestamp.parse("2026-05-18")?.timeIntervalSince1970 == expected - (19 * 3600 + 26 * 60 + 25))
    }

    @Test func epochNumbers() {
        #expect(APITimestamp.parse(.number("1779132385"))?.timeIntervalSince1970 == expected)
        #expect(APITimestamp.parse("1779132385")?.timeIntervalSince1970 == expected)
    }

    @Test func garbageIsNil() {
        #expect(APITimestamp.parse("yesterday") == nil)
        #expect(APITimestamp.parse("2026-13-01 00:00:00 UTC") == nil)
        #expect(APITimestamp.parse("2026-05-18 19:26") == nil)
        #expect(APITimestamp.parse("2026-05-18T19:26:25 PST") == nil)
        #expect(APITimestamp.parse(nil as JSONValue?) == nil)
    }

    @Test func leapYearAndEpochStart() {
        #expect(APITimestamp.parse("1970-01-01 00:00:00 UTC")?.timeIntervalSince1970 == 0)
        #expect(APITimestamp.parse("2024-02-29T00:00:00Z")?.timeIntervalSince1970 == 1_709_164_800)
    }
}
