// CRC-32 (IEEE 802.3, the zlib / binascii.crc32 variant) that lets checkpoints detect silent corruption.
// Slice-by-8, so checksumming a large checkpoint costs far less than writing it to disk.

public enum CRC32 {
    /// CRC-32 of `bytes`. Pass the CRC of the preceding bytes as `crc` to checksum data in pieces.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard var p = bytes.baseAddress, !bytes.isEmpty else { return crc }
        var n = bytes.count
        var c = ~crc
        // Raw pointers keep debug builds (tests) fast too; every index below is masked into the table.
        crcTables.withUnsafeBufferPointer { tables in
            let t = tables.baseAddress!
            while n >= 8 {
                let a = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ c
                let b = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                let lo = t[0x700 + Int(a & 0xFF)] ^ t[0x600 + Int((a >> 8) & 0xFF)]
                    ^ t[0x500 + Int((a >> 16) & 0xFF)] ^ t[0x400 + Int(a >> 24)]
                let hi = t[0x300 + Int(b & 0xFF)] ^ t[0x200 + Int((b >> 8) & 0xFF)]
                    ^ t[0x100 + Int((b >> 16) & 0xFF)] ^ t[Int(b >> 24)]
                c = lo ^ hi
                p += 8
                n -= 8
            }
            while n > 0 {
                c = t[Int((c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                p += 1
                n -= 1
            }
        }
        return ~c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}

/// Eight 256-entry tables: table k advances the CRC over a byte followed by k zero bytes.
private let crcTables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        t[i] = c
    }
    for k in 1..<8 {
        for i in 0..<256 {
            let previous = t[(k - 1) * 256 + i]
            t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
        }
    }
    return t
}()
