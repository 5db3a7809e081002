import FastIOEmulator
import Foundation

/// libFuzzer target `byte-range`: any Range header against any file size (the first eight bytes).
/// Invariant: no input traps, and a range answered lies inside the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzByteRange(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = UnsafeBufferPointer(start: start, count: count)
    guard bytes.count >= 8 else { return 0 }
    let size = Int64(bitPattern: bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & (UInt64.max >> 1))
    let header = String(decoding: bytes.dropFirst(8), as: UTF8.self)
    if case .range(let range) = ByteRange.parse(header, size: size) {
        precondition(range.lowerBound >= 0 && range.upperBound < size, "\(header.debugDescription) of \(size) gave \(range)")
    }
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzByteRange_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzByteRange_main")
public func fuzzByteRangeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzByteRange)
}
