// `--precision` for train and bench: auto (the default) and its first line, what the checkpoint
// records, that a resumed run keeps it, and the fallback on a CPU without bf16 (this one's
// /proc/cpuinfo decides which outcome to expect; CHARNN_DISABLE_BF16=1, the end-to-end tests'
// default, forces the fallback anywhere, and these tests turn it off with 0).

import Foundation
import TestSupport
import XCTest

final class PrecisionTests: CLITestCase {
    let notice = "charnn: warning: this CPU has no bfloat16 dot products (AVX-512 BF16); using --precision fp32"
    let disabled = ["CHARNN_DISABLE_BF16": "1"]
    let enabled = ["CHARNN_DISABLE_BF16": "0"]

    /// Whether the kernel says this CPU has AVX-512 F/DQ/BW/VL and BF16 (Linux; elsewhere charnn
    /// is expected to find none either, as on ARM).
    lazy var cpuHasBF16: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16"].allSatisfy(set.contains)
    }()

    func precision(of name: String) throws -> String? {
        let training = try CheckpointFile(contentsOf: dir.file(name)).metadataJSON("charnn.training") as? [String: Any]
        return (training?["options"] as? [String: Any])?["precision"] as? String
    }

    /// The number `text` holds between `prefix` and `suffix` and nothing else, or nil.
    func figure(in text: String, between prefix: String, and suffix: String) -> Double? {
        guard text.hasPrefix(prefix), text.hasSuffix(suffix), text.count > prefix.count + suffix.count else { return nil }
        return Double(text.dropFirst(prefix.count).dropLast(suffix.count))
    }

    func notices(_ r: CommandResult) -> [String] { r.stderrLines.filter { $0.contains("bfloat16") } }

    /// What the run's header says it trains in: "charnn: LSTM 1×8, vocabulary 29, 1,234 parameters in bf16
    /// (AVX-512 BF16, 1.7× fp32's speed here); train …" → "bf16 (AVX-512 BF16, 1.7× fp32's speed here)".
    func precision(in r: CommandResult) -> String? {
        guard let header = r.stderrLines.first(where: { $0.hasPrefix("charnn: LSTM ") }),
              let start = header.range(of: " parameters in "), let end = header.range(of: "; train ") else { return nil }
        return String(header[start.upperBound..<end.lowerBound])
    }

    func testCheckpointRecordsThePrecisionAndResumeKeepsIt() throws {
        try corpus()
        let plain = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "plain.ckpt", "--precision", "fp32"],
                            environment: enabled)
        XCTAssertEqual(plain.exitCode, 0, "\(plain)")
        XCTAssertEqual(precision(in: plain), "fp32 (as asked)")
        XCTAssertEqual(notices(plain), [])
        XCTAssertEqual(try precision(of: "plain.ckpt"), "fp32")

        let expected = cpuHasBF16 ? "bf16" : "fp32"
        let asked = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "A.ckpt", "--precision", "bf16"],
                            environment: enabled)
        XCTAssertEqual(asked.exitCode, 0, "\(asked)")
        XCTAssertEqual(precision(in: asked), cpuHasBF16 ? "bf16 (as asked)" : "fp32 (no bf16 dot products on this CPU)")
        XCTAssertEqual(try precision(of: "A.ckpt"), expected)
        XCTAssertEqual(try precision(of: "A.best.ckpt"), expected)

        let kept = try run(["train", "corpus.txt", "--resume", "A.ckpt", "--iterations", "4", "--output", "B.ckpt"], environment: enabled)
        XCTAssertEqual(kept.exitCode, 0, "\(kept)")
        XCTAssertEqual(precision(in: kept), "\(expected) (as the checkpoint trained)")
        XCTAssertEqual(try precision(of: "B.ckpt"), expected, "a resumed run keeps the checkpoint's precision")
        let changed = try run(["train", "corpus.txt", "--resume", "A.ckpt", "--iterations", "4", "--output", "C.ckpt",
                               "--precision", "fp32"], environment: enabled)
        XCTAssertEqual(changed.exitCode, 0, "\(changed)")
        XCTAssertEqual(try precision(of: "C.ckpt"), "fp32", "unless told otherwise")
    }

    /// Forced off, bf16 (asked for, or chosen by auto, or a bf16 checkpoint's) is the first line's
    /// word and then exactly the fp32 run.
    func testWithoutBF16TheRunIsFP32AfterOneNotice() throws {
        try corpus()
        let fp32 = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "5", "--output", "fp32.ckpt", "--precision", "fp32"])
        XCTAssertEqual(fp32.exitCode, 0, "\(fp32)")
        let absent = cpuHasBF16 ? "bf16 turned off by CHARNN_DISABLE_BF16=1" : "no bf16 dot products on this CPU"
        for (name, words) in [("asked.ckpt", ["--precision", "bf16"]), ("auto.ckpt", [])] {
            let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "5", "--output", name] + words, environment: disabled)
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            XCTAssertEqual(precision(in: r), "fp32 (\(absent))", "\(r)")
            XCTAssertEqual(notices(r), [], "one line says it: \(r)")
            XCTAssertEqual(try precision(of: name), "fp32")
            let asked = try CheckpointFile(contentsOf: dir.file(name)), reference = try CheckpointFile(contentsOf: dir.file("fp32.ckpt"))
            XCTAssertEqual(asked.tensors, reference.tensors)
            XCTAssertTrue(asked.data.elementsEqual(reference.data), "the same run, byte for byte")
        }
    }

    /// A new run's default is auto: bf16 where the CPU has it and its products measure at least 1.2×
    /// fp32's speed, the figure on the first line, and the checkpoint records what ran, never auto.
    func testAutoIsTheDefaultAndTheCheckpointRecordsWhatRan() throws {
        try corpus()
        for words in [[], ["--precision", "auto"], ["--precision", "AUTO"]] {
            let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "auto.ckpt", "--force"] + words,
                            environment: enabled)
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            let said = try XCTUnwrap(precision(in: r), "\(r)")
            guard cpuHasBF16 else {
                XCTAssertEqual(said, "fp32 (no bf16 dot products on this CPU)")
                XCTAssertEqual(try precision(of: "auto.ckpt"), "fp32")
                continue
            }
            let faster = figure(in: said, between: "bf16 (AVX-512 BF16, ", and: "× fp32's speed here)")
            let slower = figure(in: said, between: "fp32 (bf16 products run at ", and: "× fp32's speed on this CPU)")
            let figure = try XCTUnwrap(faster ?? slower, "the first line names the measured speed: \(said)")
            XCTAssertEqual(try precision(of: "auto.ckpt"), faster != nil ? "bf16" : "fp32", said)
            XCTAssertTrue(faster != nil ? figure >= 1.2 : figure <= 1.2, "1.2 or more for bf16 (1.19 shows as 1.2): \(said)")
        }
        let made = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "bf16.ckpt", "--precision", "bf16"],
                           environment: enabled)
        XCTAssertEqual(made.exitCode, 0, "\(made)")
        let bf16 = try run(["train", "corpus.txt", "--resume", "bf16.ckpt", "--iterations", "3", "--output", "fallback.ckpt"],
                           environment: disabled)
        XCTAssertEqual(bf16.exitCode, 0, "\(bf16)")
        if cpuHasBF16 {
            XCTAssertEqual(precision(in: bf16), "fp32 (the checkpoint trained in bf16; bf16 turned off by CHARNN_DISABLE_BF16=1)",
                           "a bf16 checkpoint resumed without bf16: \(bf16)")
        }
        XCTAssertEqual(try precision(of: "fallback.ckpt"), "fp32")
    }

    func testBadPrecisionIsAUsageError() throws {
        try corpus()
        try expectUsageError(["train", "corpus.txt", "--precision", "fp16"], mentions: ["--precision", "auto, fp32, bf16", "'fp16'"],
                             usage: "usage: charnn train CORPUS [options]")
        try expectUsageError(["bench", "--precision", "fp32,half"], mentions: ["--precision", "'half'"],
                             usage: "usage: charnn bench [options]")
    }

    /// bench measures each precision asked for, each once, labelled with what ran.
    func testBenchMeasuresEachPrecision() throws {
        let tiny = ["bench", "--json", "--models", "rnn", "--hidden", "8", "--layers", "1", "--batch-size", "4", "--seq-length", "8",
                    "--warmup", "0", "--iterations", "1", "--sample-length", "10", "--threads", "1", "--precision", "fp32,bf16,bf16"]
        for (environment, available) in [(enabled, cpuHasBF16), (disabled, false)] {
            let r = try run(tiny, environment: environment)
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            XCTAssertEqual(r.stderrLines, available ? [] : [notice], "\(r)")
            let results = try XCTUnwrap(try jsonObject(r.stdout)["results"] as? [[String: Any]])
            let precisions = results.map { ($0["setup"] as? [String: Any])?["precision"] as? String }
            XCTAssertEqual(precisions, available ? ["fp32", "bf16"] : ["fp32"], "\(r)")
        }
    }
}
