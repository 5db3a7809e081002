@testable import FastIOFS
import Testing

@Suite struct PosixNameTests {
    @Test(arguments: [
        "plain.txt", "a/b", "/", "//", "a\u{0}b", "\u{0}", ".", "..", "...", ".hidden", "a..b",
        "\u{FF0F}", "a\u{FF0F}b", "\u{2400}", "\u{201B}", "\u{201B}\u{201B}", "\u{201B}x",
        "\u{FF0E}", "\u{FF0E}\u{FF0E}", "\u{FF0E}\u{FF0E}\u{FF0E}", "a\u{FF0E}", "\u{FF0E}a",
        "/\u{FF0F}\u{201B}\u{0}\u{2400}", "é/ü", "emoji 😀/x",
    ])
    func roundTrips(_ serverName: String) throws {
        let posix = PosixName.encode(serverName)
        #expect(!posix.contains("/"))
        #expect(!posix.unicodeScalars.contains("\u{0}"))
        #expect(posix != "." && posix != ".." && !posix.isEmpty)
        #expect(PosixName.decode(posix) == serverName)
    }

    @Test func mapsForbiddenCharacters() {
        #expect(PosixName.encode("a/b") == "a\u{FF0F}b")
        #expect(PosixName.encode("a\u{0}b") == "a\u{2400}b")
        #expect(PosixName.encode(".") == "\u{FF0E}")
        #expect(PosixName.encode("..") == "\u{FF0E}\u{FF0E}")
        #expect(PosixName.encode("\u{FF0F}") == "\u{201B}\u{FF0F}")
        #expect(PosixName.encode("\u{FF0E}") == "\u{201B}\u{FF0E}")
        #expect(PosixName.encode("x\u{201B}") == "x\u{201B}\u{201B}")
        #expect(PosixName.encode("normal name.txt") == "normal name.txt")
    }

    @Test func distinctServerNamesNeverCollide() {
        let names = ["/", "\u{FF0F}", "\u{201B}\u{FF0F}", ".", "\u{FF0E}", "\u{201B}\u{FF0E}", "..",
                     "\u{FF0E}\u{FF0E}", "\u{0}", "\u{2400}", "\u{201B}"]
        #expect(Set(names.map(PosixName.encode)).count == names.count)
    }

    @Test(arguments: ["", "\u{201B}", "a\u{201B}", "\u{201B}x", "\u{FF0E}\u{FF0E}\u{FF0E}", "a\u{201B}\u{FF0E}"])
    func rejectsNamesNoServerNameEncodesTo(_ posix: String) {
        #expect(PosixName.decode(posix) == nil)
    }
}
