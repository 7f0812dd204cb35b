// A whole text, strictly decoded into a String: a prime file, a line typed at `sample --interactive`.

/// `bytes` as text; throws `TextError.invalidUTF8` with the byte offset of the first bad sequence.
public func decodeUTF8(_ bytes: [UInt8]) throws -> String {
    var scalars = String.UnicodeScalarView()
    try bytes.withUnsafeBufferPointer { all in
        try forEachScalar(in: all) { value, _ in scalars.append(Unicode.Scalar(value)!) }
    }
    return String(scalars)
}

/// The text of the file at `path` exactly, line breaks and a last newline included. Throws
/// `FileError` for a file that cannot be read and `TextError.invalidUTF8` for one that is not UTF-8.
public func readTextFile(_ path: String) throws -> String {
    try decodeUTF8(readFileBytes(path))
}
