// `--precision` for train and bench: what the checkpoint records, that a resumed run keeps it,
// and the fallback on a CPU without bf16 (this one's /proc/cpuinfo decides which outcome to expect;
// CHARNN_DISABLE_BF16=1 forces the fallback anywhere).

import Foundation
import TestSupport
import XCTest

final class PrecisionTests: CLITestCase {
    let notice = "charnn: warning: this CPU has no bfloat16 dot products (AVX-512 BF16); using --precision fp32"
    let disabled = ["CHARNN_DISABLE_BF16": "1"]

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

    func notices(_ r: CommandResult) -> [String] { r.stderrLines.filter { $0.contains("bfloat16") } }

    func testCheckpointRecordsThePrecisionAndResumeKeepsIt() throws {
        try corpus()
        XCTAssertEqual(notices(try trainTiny(output: "plain.ckpt", iterations: 2)), [])
        XCTAssertEqual(try precision(of: "plain.ckpt"), "fp32")

        let expected = cpuHasBF16 ? "bf16" : "fp32"
        let asked = try trainTiny(output: "A.ckpt", iterations: 2, ["--precision", "bf16"])
        XCTAssertEqual(notices(asked), cpuHasBF16 ? [] : [notice], "\(asked)")
        XCTAssertEqual(try precision(of: "A.ckpt"), expected)
        XCTAssertEqual(try precision(of: "A.best.ckpt"), expected)

        let kept = try run(["train", "corpus.txt", "--resume", "A.ckpt", "--iterations", "4", "--output", "B.ckpt"])
        XCTAssertEqual(kept.exitCode, 0, "\(kept)")
        XCTAssertEqual(try precision(of: "B.ckpt"), expected, "a resumed run keeps the checkpoint's precision")
        let changed = try run(["train", "corpus.txt", "--resume", "A.ckpt", "--iterations", "4", "--output", "C.ckpt",
                               "--precision", "fp32"])
        XCTAssertEqual(changed.exitCode, 0, "\(changed)")
        XCTAssertEqual(try precision(of: "C.ckpt"), "fp32", "unless told otherwise")
    }

    /// Forced off, bf16 is one warning line and then exactly the fp32 run.
    func testWithoutBF16TheRunIsFP32AfterOneNotice() throws {
        try corpus()
        try trainTiny(output: "fp32.ckpt", iterations: 5)
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "5", "--output", "asked.ckpt", "--precision", "bf16"],
                        environment: disabled)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(notices(r), [notice], "\(r)")
        XCTAssertEqual(try precision(of: "asked.ckpt"), "fp32")
        let asked = try CheckpointFile(contentsOf: dir.file("asked.ckpt")), fp32 = try CheckpointFile(contentsOf: dir.file("fp32.ckpt"))
        XCTAssertEqual(asked.tensors, fp32.tensors)
        XCTAssertTrue(asked.data.elementsEqual(fp32.data), "the same run, byte for byte")
    }

    func testBadPrecisionIsAUsageError() throws {
        try corpus()
        try expectUsageError(["train", "corpus.txt", "--precision", "fp16"], mentions: ["--precision", "fp32, bf16", "'fp16'"],
                             usage: "usage: charnn train CORPUS [options]")
        try expectUsageError(["bench", "--precision", "fp32,half"], mentions: ["--precision", "'half'"],
                             usage: "usage: charnn bench [options]")
    }

    /// bench measures each precision asked for, each once, labelled with what ran.
    func testBenchMeasuresEachPrecision() throws {
        let tiny = ["bench", "--json", "--models", "rnn", "--hidden", "8", "--layers", "1", "--batch-size", "4", "--seq-length", "8",
                    "--warmup", "0", "--iterations", "1", "--sample-length", "10", "--threads", "1", "--precision", "fp32,bf16,bf16"]
        for (environment, available) in [([String: String](), cpuHasBF16), (disabled, false)] {
            let r = try run(tiny, environment: environment)
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            XCTAssertEqual(r.stderrLines, available ? [] : [notice], "\(r)")
            let results = try XCTUnwrap(try jsonObject(r.stdout)["results"] as? [[String: Any]])
            let precisions = results.map { ($0["setup"] as? [String: Any])?["precision"] as? String }
            XCTAssertEqual(precisions, available ? ["fp32", "bf16"] : ["fp32"], "\(r)")
        }
    }
}
