import FastIOFS
import Foundation

/// libFuzzer target `posix-name`: any text as a server name and as a POSIX name. Invariants (the
/// `PosixName` bijection): a server name encodes to a valid POSIX name (no `/`, no NUL, not `.` or
/// `..`) that decodes back to it; a POSIX name that decodes encodes back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPosixNames(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    if !text.isEmpty {
        let posix = PosixName.encode(text)
        precondition(!posix.contains("/") && !posix.contains("\u{0}") && posix != "." && posix != "..",
                     "encode(\(text.debugDescription)) = \(posix.debugDescription)")
        precondition(PosixName.decode(posix) == text, "round trip of \(text.debugDescription)")
    }
    if let server = PosixName.decode(text) {
        precondition(PosixName.encode(server) == text, "decode of \(text.debugDescription) is not its inverse")
    }
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzPosixNames_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzPosixNames_main")
public func fuzzPosixNamesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzPosixNames)
}
