import FastIO
import FastIOFS
import Foundation

/// libFuzzer target `timestamp`: any text (and the same text as a JSON value) as a server time.
/// Invariant: parsing never traps, and a parsed time converts to a `FSTime` for `stat`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    let text = String(decoding: data, as: UTF8.self)
    _ = APITimestamp.parse(text).map(FSTime.init)
    if let json = JSONValue.parse(data) { _ = APITimestamp.parse(json).map(FSTime.init) }
    _ = APITimestamp.parse(.number(text)).map(FSTime.init)
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzTimestamp_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzTimestamp_main")
public func fuzzTimestampMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzTimestamp)
}
