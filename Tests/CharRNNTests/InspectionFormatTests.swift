// inspect-cells' output formats parse back: tsv columns and values, jsonl objects, the .npy
// header, shape and bytes with its sidecar, well-formed html with one coloured span per character
// per unit, and the ansi colours (or bars under NO_COLOR).

import XCTest
@testable import CharRNN
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

final class InspectionFormatTests: XCTestCase {
    let text = "Say \"hi\"\tto\\me\n(ok) 1\n"
    var corpus: Corpus!
    var model: Model!
    var units: [CellUnit]!
    /// The recorded values, [character][unit], for comparing with what the formats wrote.
    var expected: [[Float]] = []

    override func setUpWithError() throws {
        corpus = try Corpus(bytes: Array(text.utf8))
        model = Model(config: ModelConfig(cell: .lstm, layers: 2, hidden: 3, vocabularySize: corpus.vocabulary.count), seed: 3)
        units = try CellUnit.select(config: model.config, layers: [0, 1], state: .all, indices: [0, 2])
        var row = [Float](repeating: 0, count: units.count)
        expected = []
        Recorder(model: model, chunk: 5).run(corpus.tokens, count: corpus.count) { _, step in
            step.values(of: units, into: &row)
            expected.append(row)
        }
    }

    /// Renders with `make` into memory; the context carries a saturation report when asked.
    func render(saturation: Bool = false, _ make: (ByteWriter) -> ActivationRenderer) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let out = ByteWriter(capacity: 64) { bytes.append(contentsOf: $0) }  // small: exercise flushing
        var report: SaturationReport?
        if saturation {
            report = Inspector.analyse(model: model, tokens: corpus.tokens, count: corpus.count, vocabulary: corpus.vocabulary,
                                       explain: nil, saturationLayers: [0, 1]).saturation
        }
        let context = InspectionContext(columns: units, characters: corpus.count, vocabulary: corpus.vocabulary,
                                        saturation: report, caption: "test <model> & \"text\"")
        try Inspector.dump(model: model, tokens: corpus.tokens, count: corpus.count, context: context, to: make(out))
        return bytes
    }

    func testTSV() throws {
        let lines = String(decoding: try render { TSVRenderer($0) }, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, corpus.count + 2)  // header, rows, and the empty string after the last newline
        XCTAssertEqual(lines[0].split(separator: "\t").map(String.init), ["pos", "char"] + units.map(\.name))
        XCTAssertEqual(units.count, 2 * 2 * 6)
        let chars = text.unicodeScalars.map { Escaping.readable($0) }
        XCTAssertEqual(chars[3], " ")
        XCTAssertEqual(chars[8], "\\t")
        XCTAssertEqual(chars[11], "\\\\")
        XCTAssertEqual(chars[14], "\\n")
        for (t, line) in lines[1...corpus.count].enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, 2 + units.count, "row \(t)")
            XCTAssertEqual(fields[0], String(t))
            XCTAssertEqual(fields[1], chars[t])
            XCTAssertEqual(fields[2...].map { Float($0)! }, expected[t], "row \(t): values round-trip exactly")
        }
        XCTAssertEqual(lines.last, "")
    }

    func testTSVSaturationSection() throws {
        let text = String(decoding: try render(saturation: true) { TSVRenderer($0) }, as: UTF8.self)
        let sections = text.components(separatedBy: "\n\n")
        XCTAssertEqual(sections.count, 2)
        let table = sections[1].split(separator: "\n")
        XCTAssertEqual(table[0], "unit\tleft\tright")
        XCTAssertEqual(table.count, 1 + 2 * 3 * 3, "i, f, o of 3 units in 2 layers")
        XCTAssertTrue(table[1].hasPrefix("l0.i.0\t"))
    }

    func testJSONL() throws {
        let lines = String(decoding: try render(saturation: true) { JSONLRenderer($0) }, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, corpus.count + 1)
        let scalars = Array(text.unicodeScalars)
        for t in 0..<corpus.count {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[t].utf8)) as? [String: Any])
            XCTAssertEqual(object.count, 2 + units.count)
            XCTAssertEqual((object["pos"] as? NSNumber)?.intValue, t)
            XCTAssertEqual(object["char"] as? String, String(scalars[t]))
            for (k, u) in units.enumerated() {
                XCTAssertEqual((object[u.name] as? NSNumber)?.floatValue, expected[t][k], "\(u.name) at \(t)")
            }
        }
        let trailer = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        let saturation = try XCTUnwrap(trailer["saturation"] as? [String: [String: Double]])
        XCTAssertEqual(saturation.count, 18)
        XCTAssertNotNil(saturation["l1.o.2"]?["left"])
    }

    func testNPYAndSidecar() throws {
        var sidecarBytes: [UInt8] = []
        let sidecar = ByteWriter { sidecarBytes.append(contentsOf: $0) }
        let bytes = try render(saturation: true) { NPYRenderer($0, sidecar: sidecar) }
        XCTAssertEqual(Array(bytes[0..<6]), [0x93] + Array("NUMPY".utf8))
        XCTAssertEqual(bytes[6], 1)
        XCTAssertEqual(bytes[7], 0)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "data aligned as numpy writes it")
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasSuffix("\n"))
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(corpus.count), \(units.count)), }"), header)
        let data = bytes[(10 + headerLength)...]
        XCTAssertEqual(data.count, corpus.count * units.count * 4)
        let values: [Float] = stride(from: data.startIndex, to: data.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
        XCTAssertEqual(values, expected.flatMap { $0 }, "row-major (characters, units)")

        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sidecarBytes)) as? [String: Any])
        XCTAssertEqual(json["columns"] as? [String], units.map(\.name))
        XCTAssertEqual(json["characters"] as? [String], text.unicodeScalars.map { String($0) })
        XCTAssertEqual((json["shape"] as? [NSNumber])?.map(\.intValue), [corpus.count, units.count])
        XCTAssertEqual((json["saturation"] as? [String: Any])?.count, 18)
        XCTAssertEqual(NPYRenderer.header(rows: 3, columns: 1000).count % 64, 0)
    }

    /// Counts the spans inside each `div class="text"` and checks their colours and tooltips.
    final class SpanCounter: NSObject, XMLParserDelegate {
        var inText = false
        var perSection: [Int] = []
        var spanTexts: [String] = []
        var titles: [String] = []
        var uncoloured = 0
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "div" && attributes["class"] == "text" { inText = true; perSection.append(0) }
            if name == "span" && inText {
                perSection[perSection.count - 1] += 1
                spanTexts.append("")
                titles.append(attributes["title"] ?? "")
                if attributes["style"]?.range(of: "^background:#[0-9a-f]{6}(;color:#fff)?$", options: .regularExpression) == nil { uncoloured += 1 }
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText && !spanTexts.isEmpty { spanTexts[spanTexts.count - 1] += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "div" { inText = false }
        }
    }

    func testHTMLIsWellFormedWithOneColouredSpanPerCharacterPerUnit() throws {
        let html = try render { HTMLRenderer($0) }
        let page = String(decoding: html, as: UTF8.self)
        XCTAssertFalse(page.contains("<script"), "no scripts")
        XCTAssertFalse(page.contains("http"), "nothing fetched from the network")
        XCTAssertTrue(page.contains("test &lt;model&gt; &amp; &quot;text&quot;"))
        let parser = XMLParser(data: Data(html))
        let counter = SpanCounter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        XCTAssertEqual(counter.perSection, Array(repeating: corpus.count, count: units.count))
        XCTAssertEqual(counter.uncoloured, 0)
        // The characters read back (newline shown as ↵), once per unit.
        let shown = text.unicodeScalars.map { $0 == "\n" ? "↵" : String($0) }
        XCTAssertEqual(Array(counter.spanTexts.prefix(corpus.count)), shown)
        // Tooltip: the unit's value and five predictions.
        let first = counter.titles[0]
        XCTAssertTrue(first.hasPrefix("\(units[0].name) = \(expected[0][0])\nnext: "), first)
        XCTAssertEqual(first.components(separatedBy: "%").count - 1, 5)
        XCTAssertTrue(counter.titles[corpus.count].hasPrefix("\(units[1].name) = \(expected[0][1])\n"))
    }

    func testDivergingScale() {
        let gate = CellUnit(layer: 0, source: .gate(0), index: 0, cell: .lstm)
        let scale = DivergingScale(unit: gate, values: [])
        XCTAssertEqual(scale.color(0.5), RGB(r: 247, g: 247, b: 247))
        XCTAssertEqual(scale.color(0), RGB(r: 33, g: 102, b: 172))
        XCTAssertEqual(scale.color(1).hex, "#b2182b")
        let cell = CellUnit(layer: 0, source: .cell, index: 0, cell: .lstm)
        XCTAssertEqual(DivergingScale(unit: cell, values: [-4, 2]).position(-2), -0.5, "c is scaled by its largest |c|")
    }

    /// Text on the heat map is white where that contrasts more with the background than #111 does:
    /// on both deep ends and the darker mid-blues, never on the pale middle.
    func testTextColourFollowsTheBackgroundsLuminance() {
        let gate = DivergingScale(unit: CellUnit(layer: 0, source: .gate(0), index: 0, cell: .lstm), values: [])
        XCTAssertEqual(RGB(r: 255, g: 255, b: 255).luminance, 1, accuracy: 1e-12)
        XCTAssertEqual(RGB(r: 0, g: 0, b: 0).luminance, 0)
        XCTAssertEqual(gate.color(0).textColor, RGB(r: 255, g: 255, b: 255), "the darkest blue")
        XCTAssertEqual(gate.color(1).textColor, RGB(r: 255, g: 255, b: 255), "the darkest red")
        XCTAssertEqual(gate.color(0.5).textColor, RGB(r: 17, g: 17, b: 17), "the near-white middle")
        // Along each half the background only gets lighter towards the middle: the text turns dark once.
        for half in [stride(from: Float(0), through: 0.5, by: 0.01), stride(from: Float(1), through: 0.5, by: -0.01)] {
            let light = half.map { gate.color($0).wantsLightText }
            XCTAssertEqual(light.firstIndex(of: false).map { light[$0...].allSatisfy { !$0 } }, true, "\(light)")
            for v in half {
                let c = gate.color(v), background = c.luminance + 0.05
                XCTAssertEqual(c.wantsLightText, 1.05 / background > background / (RGB(r: 17, g: 17, b: 17).luminance + 0.05), "\(v)")
            }
        }
    }

    func testANSIColoursAndNoColorBars() throws {
        let coloured = String(decoding: try render { ANSIRenderer($0, color: true) }, as: UTF8.self)
        XCTAssertEqual(coloured.components(separatedBy: "\u{1B}[48;2;").count - 1, corpus.count * units.count)
        let plain = String(decoding: try render { ANSIRenderer($0, color: false) }, as: UTF8.self)
        XCTAssertFalse(plain.contains("\u{1B}"))
        let lines = plain.split(separator: "\n", omittingEmptySubsequences: false)
        // Per unit: a heading, then each of the 2 text lines followed by its bar line.
        XCTAssertTrue(lines[0].hasPrefix(units[0].name + " · layer 0"))
        XCTAssertEqual(lines[1], "Say \"hi\"→to\\me↵")
        XCTAssertEqual(lines[2].count, lines[1].count)
        XCTAssertTrue(lines[2].allSatisfy { ANSIRenderer.bars.contains($0) })
        XCTAssertEqual(lines[3], "(ok) 1↵")
    }

    /// Dumps stream into a temporary file: the target appears only on commit, and a writer given
    /// up (an error half-way) leaves the old file and no temporary file behind.
    func testAtomicFileWriterReplacesOnlyOnCommit() throws {
        let dir = try TemporaryDirectory(prefix: "charnn-atomic")
        defer { dir.remove() }
        let path = dir.file("dump.tsv").path
        try AtomicFile.write(Array("old\n".utf8), to: path)

        var writer: AtomicFileWriter? = try AtomicFileWriter(path: path)
        try Array("half a dump".utf8).withUnsafeBytes { try writer!.write($0) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n", "untouched before commit")
        writer = nil  // dropped without commit
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["dump.tsv"])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n")

        let out = try AtomicFileWriter(path: path)
        let bytes = ByteWriter(capacity: 4) { try out.write($0) }
        try bytes.write("new ")
        try bytes.write("dump\n")
        try bytes.flush()
        try out.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new dump\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["dump.tsv"])
    }
}
