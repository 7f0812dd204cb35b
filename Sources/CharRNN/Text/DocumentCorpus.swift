// Several files as one corpus: each file a document, the documents joined by the vocabulary's
// boundary symbol. Files are read a chunk at a time, twice (the characters and which files are
// text, then the ids), so memory holds only the ids, as for one file.

/// A file of a training corpus as the checkpoint records it (`charnn.inputs`), to refuse resuming
/// on other files.
public struct CorpusInput: Codable, Equatable, Sendable {
    public let path: String
    public let bytes: Int

    public init(path: String, bytes: Int) {
        self.path = path
        self.bytes = bytes
    }

    /// What differs between the files a run was trained on and `current`, as a short phrase
    /// ("b.txt added; a.txt 120 → 130 bytes"), naming at most `shown` changes; nil when none.
    /// Paths are compared without the directories all of a list's files share, so the same files
    /// named from another working directory (`../project/data/a.txt` for `data/a.txt`) are no change.
    public static func changes(from recorded: [CorpusInput], to current: [CorpusInput], shown: Int = 3) -> String? {
        let recordedNames = sharedDirectoriesRemoved(recorded), currentNames = sharedDirectoriesRemoved(current)
        let old = Dictionary(zip(recordedNames, recorded.map(\.bytes)), uniquingKeysWith: { a, _ in a })
        let new = Dictionary(zip(currentNames, current.map(\.bytes)), uniquingKeysWith: { a, _ in a })
        var changes: [String] = []
        for (name, input) in zip(currentNames, current) {
            if let before = old[name] {
                if before != input.bytes { changes.append("\(input.path) \(before) → \(input.bytes) bytes") }
            } else {
                changes.append("\(input.path) added")
            }
        }
        changes += zip(recordedNames, recorded).filter { new[$0.0] == nil }.map { "\($0.1.path) removed" }
        if changes.isEmpty && recordedNames != currentNames { changes.append("the files are in another order") }
        guard !changes.isEmpty else { return nil }
        let more = changes.count > shown ? "; and \(changes.count - shown) more" : ""
        return changes.prefix(shown).joined(separator: "; ") + more
    }

    /// Each path without "." components and without the leading directories every path shares.
    static func sharedDirectoriesRemoved(_ inputs: [CorpusInput]) -> [String] {
        let parts = inputs.map { $0.path.split(separator: "/").filter { $0 != "." } }
        guard var shared = parts.first?.dropLast().map(String.init) else { return [] }
        for p in parts.dropFirst() {
            shared = Array(zip(shared, p.dropLast()).prefix { $0 == $1 }.map(\.0))
        }
        return parts.map { $0.dropFirst(shared.count).joined(separator: "/") }
    }

    /// "3 files, 1,234 bytes: a.txt (120 bytes), b.txt (300 bytes), … and 1 more"
    public static func summary(_ inputs: [CorpusInput], shown: Int = 5) -> String {
        let total = inputs.reduce(0) { $0 + $1.bytes }
        let listed = inputs.prefix(shown).map { "\($0.path) (\(grouped($0.bytes)) bytes)" }.joined(separator: ", ")
        let more = inputs.count > shown ? ", and \(inputs.count - shown) more" : ""
        return "\(inputs.count) file\(inputs.count == 1 ? "" : "s"), \(grouped(total)) bytes: \(listed)\(more)"
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, c in (i > 0 && (digits.count - i) % 3 == 0 ? [","] : []) + [c] })
    }
}

/// A text error in one file of a corpus.
public struct CorpusFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let error: TextError

    public var description: String { "\(path): \(error)" }
}

public enum CorpusError: Error, Equatable, CustomStringConvertible {
    /// Nothing in the arguments was text to learn from.
    case noText(arguments: [String])
    /// Resuming a model of one text on several: it has no boundary symbol to join them with.
    case noBoundary

    public var description: String {
        switch self {
        case .noText(let arguments):
            return "no text files in \(arguments.joined(separator: ", ")) (in a directory, hidden files, charnn's own files and "
                + "files that are not UTF-8 text are left out)"
        case .noBoundary:
            return "the model was trained on a single text and has no document boundary to join several files with"
        }
    }
}

/// The corpus of several files, what was read, and what was left out.
public struct DocumentCorpus: Sendable {
    public let corpus: Corpus
    public let inputs: [CorpusInput]
    /// The list's skipped paths, then the files of directories found not to be text.
    public let skipped: [SkippedPath]
}

extension Corpus {
    /// The corpus of the files of `list` (from `CorpusFiles.list`), each normalised on its own. One document
    /// gives the ids and vocabulary `load(path:)` gives; two or more are joined by the boundary,
    /// which a new vocabulary then has. A named file that is not UTF-8 or is
    /// empty throws `CorpusFileError`; a file of a directory that is not text (invalid UTF-8, or a
    /// NUL character) is left out. With `vocabulary` (a model's), a character outside it throws.
    public static func load(_ list: CorpusFileList, vocabulary: Vocabulary? = nil, normalization: TextNormalization = .exact,
                            chunkSize: Int = 1 << 20) throws -> DocumentCorpus {
        var survey = DocumentSurvey(collecting: vocabulary == nil)
        for file in list.files { try survey.read(file, chunkSize: chunkSize, normalization) }
        let documents = survey.documents
        guard !documents.isEmpty else { throw CorpusError.noText(arguments: list.arguments) }
        let joined = documents.count > 1
        if joined && vocabulary != nil && vocabulary?.boundaryID == nil { throw CorpusError.noBoundary }
        let scalars: ScalarSource = { body in
            for (i, document) in documents.enumerated() {
                if i > 0 { try body(Vocabulary.boundaryValue, -1) }
                try inFile(document.input.path) { try document.scalars(body) }
            }
        }
        let corpus = try Corpus(vocabulary: vocabulary ?? survey.characters.vocabulary(documentBoundary: joined),
                                capacity: documents.reduce(documents.count - 1) { $0 + $1.input.bytes },
                                skipUnknown: false, scalars: scalars)
        return DocumentCorpus(corpus: corpus, inputs: documents.map(\.input), skipped: list.skipped + survey.skipped)
    }

    /// Runs `body`, naming `path` in a text error.
    static func inFile<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as TextError { throw CorpusFileError(path: path, error: e) }
    }
}

/// The first reading of a corpus's files: which are text, and (for a new model) their characters.
private struct DocumentSurvey {
    struct Document {
        let input: CorpusInput
        let scalars: Corpus.ScalarSource
    }

    /// A NUL character in a file of a directory: binary, not text.
    struct ContainsNUL: Error {}

    var documents: [Document] = []
    var skipped: [SkippedPath] = []
    var characters = CharacterCollector()
    let collecting: Bool

    init(collecting: Bool) { self.collecting = collecting }

    mutating func read(_ file: CorpusFile, chunkSize: Int, _ normalization: TextNormalization) throws {
        func skip(_ reason: SkipReason) { skipped.append(SkippedPath(path: file.path, reason: reason)) }
        let size = regularFileSize(file.path)
        let bytes: [UInt8]
        do {
            bytes = size == nil ? try readFileBytes(file.path) : []  // a pipe can be read only once
        } catch let e as FileError where !file.named {
            return skip(.unreadable("\(e)"))
        }
        let scalars = size == nil ? Corpus.byteScalars(bytes, normalization)
            : Corpus.fileScalars(file.path, min(chunkSize, size! + 1), normalization, bytes: size!)
        let mark = characters.mark
        var count = 0
        do {
            try scalars { [collecting] value, _ in
                if value == 0 && !file.named { throw ContainsNUL() }
                if collecting { characters.insert(value) }
                count += 1
            }
        } catch let e as TextError where !file.named {
            characters.rollBack(to: mark)
            if case .invalidUTF8(let offset) = e { return skip(.notText("invalid UTF-8 at byte offset \(offset)")) }
            throw CorpusFileError(path: file.path, error: e)
        } catch is ContainsNUL {
            characters.rollBack(to: mark)
            return skip(.notText("contains NUL"))
        } catch let e as FileError where !file.named {
            characters.rollBack(to: mark)
            return skip(.unreadable("\(e)"))
        } catch let e as TextError {
            throw CorpusFileError(path: file.path, error: e)
        }
        if count == 0 {
            if file.named { throw CorpusFileError(path: file.path, error: .empty) }
            return skip(.empty)
        }
        documents.append(Document(input: CorpusInput(path: file.path, bytes: size ?? bytes.count), scalars: scalars))
    }
}

/// The characters of a text, as they are found, with a way to take back those of a file that turns
/// out not to be text.
struct CharacterCollector {
    private var seen = [Bool](repeating: false, count: 0x10000)
    private var rare = Set<UInt32>()
    private var added: [UInt32] = []   // in the order first seen

    var mark: Int { added.count }

    mutating func insert(_ v: UInt32) {
        if v < 0x10000 {
            guard !seen[Int(v)] else { return }
            seen[Int(v)] = true
        } else {
            guard rare.insert(v).inserted else { return }
        }
        added.append(v)
    }

    /// Forgets the characters first seen after `mark`.
    mutating func rollBack(to mark: Int) {
        for v in added[mark...] {
            if v < 0x10000 { seen[Int(v)] = false } else { rare.remove(v) }
        }
        added.removeSubrange(mark...)
    }

    /// The sorted characters; throws `TextError.empty` when there are none.
    func vocabulary(documentBoundary: Bool = false) throws -> Vocabulary {
        var sorted: [Unicode.Scalar] = []
        for v in 0..<0x10000 where seen[v] { sorted.append(Unicode.Scalar(UInt32(v))!) }
        for v in rare.sorted() { sorted.append(Unicode.Scalar(v)!) }
        guard !sorted.isEmpty else { throw TextError.empty }
        return Vocabulary(scalars: sorted, documentBoundary: documentBoundary)
    }
}
