// libFuzzer target for the corpus decoder (UTF-8 scanner whole and in pieces, Vocabulary,
// TokenSequence, split, batch streams). Beyond "no trap", it checks the decoder against the standard
// library's validator: the same bytes are valid for both, a valid text gives one id per Unicode scalar
// that maps back, and decoding in pieces (as files are read) agrees with decoding at once.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkChunkedDecoding(bytes)
    let reference = String(validating: bytes, as: UTF8.self)
    let corpus: Corpus
    do {
        corpus = try Corpus(bytes: bytes)
    } catch TextError.invalidUTF8(let offset) {
        precondition(reference == nil, "valid UTF-8 refused at byte \(offset)")
        precondition(offset >= 0 && offset < bytes.count, "offset \(offset) outside \(bytes.count) bytes")
        // Everything before the reported offset is valid on its own.
        precondition(String(validating: bytes[..<offset], as: UTF8.self) != nil, "bytes before offset \(offset) are not valid")
        return 0
    } catch TextError.empty {
        precondition(bytes.isEmpty, "non-empty text called empty")
        return 0
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    guard let text = reference else { preconditionFailure("invalid UTF-8 accepted") }
    let scalars = Array(text.unicodeScalars)
    precondition(corpus.count == scalars.count, "\(corpus.count) ids for \(scalars.count) scalars")
    let vocabulary = corpus.vocabulary
    precondition(zip(vocabulary.scalars, vocabulary.scalars.dropFirst()).allSatisfy { $0.value < $1.value }, "vocabulary not sorted")
    for (i, s) in scalars.enumerated() {
        precondition(vocabulary[corpus.tokens[i]] == s, "id \(corpus.tokens[i]) at \(i) does not map back to U+\(s.value)")
    }
    precondition((try? vocabulary.encode(text)) == corpus.tokens.ids, "encode disagrees with the corpus ids")

    // Re-encoding with the vocabulary of the first half: characters only in the second half are
    // refused (at their index) or skipped and counted.
    let half = Array(scalars.prefix(max(1, scalars.count / 2)))
    let partial = Vocabulary(scalars: Array(Set(half)).sorted { $0.value < $1.value })
    let unknown = scalars.filter { partial.id(of: $0) == nil }.count
    do {
        let again = try Corpus(bytes: bytes, vocabulary: partial)
        precondition(unknown == 0 && again.count == scalars.count, "unknown characters accepted")
    } catch TextError.unknownCharacter(let s, let offset) {
        precondition(unknown > 0 && scalars[offset] == s && partial.id(of: s) == nil, "wrong unknown character reported")
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    if let skipping = try? Corpus(bytes: bytes, vocabulary: partial, skipUnknown: true) {
        precondition(skipping.skipped == unknown && skipping.count == scalars.count - unknown, "skipped count is wrong")
    } else {
        preconditionFailure("skipUnknown threw")
    }

    // Splits and batch streams derived from the text stay inside it.
    let fraction = Double(bytes.first ?? 0) / 256
    let split = corpus.split(validationFraction: fraction)
    precondition(split.train.lowerBound == 0 && split.train.upperBound == split.validation.lowerBound
                 && split.validation.upperBound == corpus.count, "split does not cover the text")
    let B = 1 + Int(bytes.last ?? 0) % 5, T = 1 + size % 7
    if let streams = BatchStreams(range: split.train, batch: B, steps: T) {
        let ws = Workspace(config: ModelConfig(cell: .rnn, layers: 1, hidden: 1, vocabularySize: vocabulary.count),
                           steps: T, batch: B, training: false)
        for k in 0..<streams.batchesPerEpoch { streams.fill(ws, batch: k, from: corpus.tokens) }
    }
    return 0
}

/// A text decoded in pieces (as files are read) gives the same scalars and indices, or the same error,
/// as the whole text decoded at once; the piece size comes from the input.
func checkChunkedDecoding(_ bytes: [UInt8]) {
    func whole() -> ([UInt32], TextError?) {
        var out: [UInt32] = []
        do {
            try bytes.withUnsafeBufferPointer { try forEachScalar(in: $0) { v, i in precondition(i == out.count); out.append(v) } }
        } catch {
            return (out, error as? TextError)
        }
        return (out, nil)
    }
    let chunk = 1 + Int(bytes.last ?? 0) % 9
    var decoder = ChunkedUTF8Decoder()
    var out: [UInt32] = []
    var failure: TextError?
    do {
        try bytes.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + chunk)
                try decoder.decode(UnsafeBufferPointer(rebasing: all[start..<end]), isLast: false) { v, i in
                    precondition(i == out.count, "character index \(i) after \(out.count) characters")
                    out.append(v)
                }
                start = end
            }
            try decoder.decode(UnsafeBufferPointer(start: nil, count: 0), isLast: true) { v, _ in out.append(v) }
        }
    } catch {
        failure = error as? TextError
        precondition(failure != nil, "unexpected error \(error)")
    }
    let (expected, expectedFailure) = whole()
    precondition(failure == expectedFailure, "chunks of \(chunk): \(String(describing: failure)) vs \(String(describing: expectedFailure))")
    precondition(failure != nil || out == expected, "chunks of \(chunk) decode differently")
}
