// The benchmark's fallback corpus when no real one is at hand: seeded English-like text with
// a realistic character mix (about 60 distinct characters: lower and upper case, punctuation,
// spaces and line breaks), so the vocabulary, and with it the decoder's cost, is like a real
// corpus's. Its words are drawn from a fixed list with Zipf-like weights.

extension Benchmark {
    private static let words: [String] = """
        the and to of I you a my in that is not it with me be your his for this he have as thou so \
        will but what him all thy by do no shall are we our if on her good lord now from sir thee \
        come at king they or love well let more she here which was how then there would their make \
        say go know than man upon like may must yet should am did one when us hath some them doth \
        why where speak heart night death give time fair mine great see hand life eyes own world \
        honour first being true never away heaven sweet noble blood father queen brother grace
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    private static let names = ["ROMEO", "JULIET", "HAMLET", "KING HENRY", "QUEEN", "MENENIUS", "Second Citizen"]

    /// `characters` Unicode scalars (all ASCII) of text, the same for the same seed.
    public static func generatedText(characters: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        // Zipf-like: the k-th word weighs 1/(k+2).
        let weights = words.indices.map { 1 / Double($0 + 2) }
        let totalWeight = weights.reduce(0, +)
        func word() -> String {
            var u = rng.nextUnitDouble() * totalWeight
            for (k, w) in weights.enumerated() {
                u -= w
                if u < 0 { return words[k] }
            }
            return words[words.count - 1]
        }
        func chance(_ p: Double) -> Bool { rng.nextUnitDouble() < p }
        var out = "", line = 0, capitalise = true
        out.reserveCapacity(characters + 100)
        while out.utf8.count < characters {  // ASCII: bytes are characters
            if line == 0 && chance(0.15) {
                out += names[Int(rng.nextUnitDouble() * Double(names.count))] + ":\n"
            }
            var w = word()
            if capitalise { w = w.prefix(1).uppercased() + w.dropFirst() }
            out += w
            line += w.count + 1
            capitalise = false
            if chance(0.08) {
                out += [".", ".", "!", "?", ";"][Int(rng.nextUnitDouble() * 5)]
                capitalise = true
            } else if chance(0.07) {
                out += ","
            }
            if line > 40 && chance(0.2) {
                out += chance(0.2) ? "\n\n" : "\n"
                line = 0
                capitalise = true
            } else {
                out += " "
            }
        }
        return String(decoding: out.utf8.prefix(characters), as: UTF8.self)
    }
}
