import FastIOEmulator
import Foundation

/// libFuzzer target `multipart`: any body through the emulator's incremental multipart parser, fed
/// whole and fed in pieces (the first byte chooses the piece size). Invariants: no input traps, and
/// the pieces give the same parts, headers and bytes as the whole (or both fail).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let first = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let whole = parse(body, pieceSize: max(1, body.count))
    let pieces = parse(body, pieceSize: Int(first % 17) + 1)
    precondition(whole == pieces, "whole \(String(describing: whole)) != pieces \(String(describing: pieces))")
    return 0
}

/// One part as the parser gave it: its headers and all its bytes, however they were cut.
private struct Part: Equatable {
    var headers: [String: String]
    var bytes: [UInt8]
}

/// The parts once the body finished, nil when it is malformed or unfinished.
private func parse(_ body: [UInt8], pieceSize: Int) -> [Part]? {
    var parser = MultipartParser(boundary: "fuzzBOUNDARY")
    var parts: [Part] = []
    var open = false
    do {
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + pieceSize)
            for event in try parser.feed(Array(body[offset..<end])) {
                switch event {
                case .partBegin(let headers):
                    precondition(!open, "a part began inside another")
                    parts.append(Part(headers: headers, bytes: []))
                    open = true
                case .data(let chunk):
                    precondition(open && !parts.isEmpty, "bytes outside a part")
                    parts[parts.count - 1].bytes += chunk
                case .partEnd:
                    precondition(open, "a part ended that had not begun")
                    open = false
                }
            }
            offset = end
        }
        try parser.finish()
    } catch {
        return nil
    }
    return parts
}

/// The process entry: SwiftPM links `main` to `FuzzMultipart_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzMultipart_main")
public func fuzzMultipartMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzMultipart)
}
