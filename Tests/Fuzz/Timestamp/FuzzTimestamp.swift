import FastIO
import FastIOFS
import Foundation

/// libFuzzer target `timestamp`: any text (and the same text as a JSON value) as a server time.
/// Invariant: reading never traps, a time read lies within `APITimestamp.earliest...latest`, and
/// any time converts to a `FSTime` for `stat`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    let text = String(decoding: data, as: UTF8.self)
    var values: [JSONValue] = [.string(text), .number(text)]
    if let json = JSONValue.parse(data) { values.append(json) }
    for value in values {
        guard let date = APITimestamp.read(value).date else { continue }
        precondition((APITimestamp.earliest...APITimestamp.latest).contains(date), "\(value) read as \(date)")
        _ = FSTime(date)
    }
    // Any number of seconds at all (the attribute path's last step) saturates rather than traps.
    if let seconds = Double(text) { _ = FSTime(Date(timeIntervalSince1970: seconds)) }
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzTimestamp_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzTimestamp_main")
public func fuzzTimestampMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzTimestamp)
}
