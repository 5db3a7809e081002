import Testing
@testable import FastIO

@Suite("Rate-limit headers")
struct RateLimitHeadersTests {
    @Test func currentHeaderNames() {
        let limits = RateLimitHeaders(headers: ["x-ve-limit-avail": "0", "x-ve-limit-max": "60", "x-ve-limit-expires": "1700000010"])
        #expect(limits.available == 0)
        #expect(limits.maximum == 60)
        #expect(limits.secondsUntilReset(now: 1_700_000_000) == 10)
    }

    @Test func legacyHeaderNames() {
        let limits = RateLimitHeaders(headers: ["x-rate-limit-available": "3", "x-rate-limit-expiry": "1700000005"])
        #expect(limits.available == 3)
        #expect(limits.secondsUntilReset(now: 1_700_000_000) == 5)
    }

    @Test func resetInThePastWaitsZero() {
        #expect(RateLimitHeaders(headers: ["x-ve-limit-expires": "1600000000"]).secondsUntilReset(now: 1_700_000_000) == 0)
    }

    @Test func absentOrGarbageIsUnknown() {
        #expect(RateLimitHeaders(headers: [:]).secondsUntilReset(now: 1) == nil)
        #expect(RateLimitHeaders(headers: ["x-ve-limit-expires": "soon"]).secondsUntilReset(now: 1) == nil)
    }

    @Test func smallValuesAreRelativeAndRetryAfterIsAFallback() {
        #expect(RateLimitHeaders(headers: ["x-ve-limit-expires": "7"]).secondsUntilReset(now: 1_700_000_000) == 7)
        #expect(RateLimitHeaders(headers: ["retry-after": "4"]).secondsUntilReset(now: 1_700_000_000) == 4)
    }
}
