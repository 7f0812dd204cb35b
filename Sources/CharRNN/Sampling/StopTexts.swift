// Stop texts: generation ends right after the first place where the generated text (never the
// prime) ends with one of them. Matched on character ids, one character at a time.

/// Watches the characters a sampler generates for the first complete occurrence of a stop text.
/// Only generated characters are fed to it, so an occurrence must lie wholly in the generated
/// text: one that begins in the prime and ends in the generated text does not count.
struct StopTextMatcher {
    private let patterns: [[Int32]]
    private let longest: Int
    /// The last generated ids, oldest first: at least the last `longest - 1` of them once that many
    /// were generated, and never more than 2·`longest` (trimmed in blocks, not per character).
    private var recent: [Int32] = []

    /// `patterns`: the stop texts as ids; empty ones are ignored (an empty text would stop at once).
    init(_ patterns: [[Int32]]) {
        self.patterns = patterns.filter { !$0.isEmpty }
        longest = self.patterns.map(\.count).max() ?? 0
        recent.reserveCapacity(2 * longest)
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// The index (in the non-empty patterns) of a stop text that the generated text would end
    /// with if `id` came next, or nil.
    func match(after id: Int32) -> Int? {
        patternLoop: for (index, pattern) in patterns.enumerated() where pattern.last == id {
            let before = pattern.count - 1
            guard recent.count >= before else { continue }
            var r = recent.count - before
            for p in 0..<before {
                if recent[r] != pattern[p] { continue patternLoop }
                r += 1
            }
            return index
        }
        return nil
    }

    /// Takes `id` as the next generated character; true if the text now ends with a stop text.
    mutating func append(_ id: Int32) -> Bool {
        guard !isEmpty else { return false }
        let matched = match(after: id) != nil
        if recent.count == 2 * longest { recent.removeFirst(longest) }
        recent.append(id)
        return matched
    }
}
