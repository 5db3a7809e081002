/// CRC-32C (Castagnoli), reflected, as used for upload integrity (`crc32c("123456789") == e3069283`).
struct CRC32C {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    private(set) var value: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var c = value
        for b in bytes { c = CRC32C.table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        value = c
    }

    var hex: String {
        let v = value ^ 0xFFFF_FFFF
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
