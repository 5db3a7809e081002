import FastIO
import Foundation

/// libFuzzer target `envelope`: any status and body through the API envelope decoder. The first two
/// bytes choose the status (100...599); the rest is the body. Invariant: decoding never traps, and an
/// answer is either a payload or an error, for every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = UnsafeBufferPointer(start: start, count: count)
    guard bytes.count >= 2 else { return 0 }
    let status = 100 + (Int(bytes[0]) << 8 | Int(bytes[1])) % 500
    let body = Data(bytes.dropFirst(2))
    switch APIEnvelope.payload(status: status, body: body, route: "fuzz/route/") {
    case .success(let payload): _ = payload["result"]
    case .failure(let error): _ = error.errno
    }
    _ = APIEnvelope.error(status: status, body: body, route: nil)
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzEnvelope_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzEnvelope_main")
public func fuzzEnvelopeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzEnvelope)
}
