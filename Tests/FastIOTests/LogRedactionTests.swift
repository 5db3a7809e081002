import Testing
@testable import FastIO

@Suite("Log redaction")
struct LogRedactionTests {
    @Test func tokenQueryValuesAreRedacted() {
        #expect(LogRedaction.redact("workspace/1/storage/x/read/?token=SECRET&version_id=3v") == "workspace/1/storage/x/read/?token=<redacted>&version_id=3v")
        #expect(LogRedaction.redact("a/?lock_token=S1&Token=S2") == "a/?lock_token=<redacted>&Token=<redacted>")
        #expect(!LogRedaction.redact("a/?x=1&token=SECRET").contains("SECRET"))
    }

    @Test func otherTargetsAreUnchanged() {
        #expect(LogRedaction.redact("workspace/1/storage/root/list/?cursor=abc") == "workspace/1/storage/root/list/?cursor=abc")
        #expect(LogRedaction.redact("user/auth/check/") == "user/auth/check/")
    }
}
