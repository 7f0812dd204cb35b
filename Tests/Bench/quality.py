#!/usr/bin/env python3
"""The quality benchmark: how good a model `charnn train --time` makes, in nats/char of held-out text,
beside the fixed small model a person would give by hand in the same time.

Each row is a corpus and a budget. A run trains with `--time BUDGET --val-frac 0.1` and nothing else
(automatic mode chooses the rest), then scores the best checkpoint with `charnn eval` on the corpus's
last 10 %: exactly the characters held out for validation, which both select the best checkpoint and
are reported on, as the published figures compared with do. The fixed model is the same command with
`--hidden 128 --dropout 0 --weight-drop 0 --lr 2e-3 --lr-schedule constant --patience 0` (char-rnn's
defaults; `--weight-drop 0` since automatic mode would otherwise fill it in). Runs
alternate, automatic then fixed, so drift in the machine's speed hits both; each figure is the median
over the row's runs (the mean, for two).

    make quality                                         # every row below (about 4 hours)
    make quality QUALITY_ROWS=tinyshakespeare:5m:1       # one row, one run, automatic mode only
    python3 Tests/Bench/quality.py --rows shakespeare:4m:3:fixed --json results.json

A row is CORPUS:BUDGET:RUNS[:fixed]; `:fixed` adds the fixed model's runs. The corpora are named in
heldout.py (`build_corpus`). Development only: Tiny Shakespeare lives outside the repository, and
`make test` never runs this.
"""
import argparse, json, os, platform, re, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout  # noqa: E402

ROWS = ("tinyshakespeare:5m:3:fixed,tinyshakespeare:30m:2,shakespeare:4m:3:fixed,"
        "licences:5m:3:fixed,swift-source:5m:3:fixed,shakespeare:5m:3:fixed")
FIXED = ["--hidden", "128", "--dropout", "0", "--weight-drop", "0", "--lr", "2e-3", "--lr-schedule", "constant", "--patience", "0"]


def train(a, corpus, budget, tail, tag, extra):
    """One run: its held-out loss, iterations, and what automatic mode chose (None when all was given)."""
    checkpoint = os.path.join(a.out, f"{tag}.ckpt")
    cmd = [a.bin, "train", corpus, "--time", budget, "--val-frac", "0.1", "--output", checkpoint, "--force", *extra, *a.train_args]
    print("==> " + " ".join(cmd), flush=True)
    chosen, iterations = None, None
    with subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) as run:
        for line in run.stderr:
            if a.verbose:
                sys.stderr.write(line)
            if line.startswith("charnn: chose "):
                chosen = line.strip()[len("charnn: chose "):].split(":")[0]
            m = re.match(r"(?:done: |interrupted at iteration )(\d+)", line)
            if m:
                iterations = int(m.group(1))
    if run.returncode != 0:
        sys.exit(f"quality.py: charnn train exited with {run.returncode}")
    loss = heldout.score(a.bin, checkpoint[: -len(".ckpt")] + ".best.ckpt", tail)
    print(f"    {loss:.4f} nats/char after {iterations} iterations ({chosen})", flush=True)
    return {"loss": loss, "iterations": iterations, "chose": chosen}


def machine():
    """The CPU model, whether charnn can use bf16 on it, and the load average now."""
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "")
    return {"cpu": model, "cores": os.cpu_count(), "avx512_bf16": "avx512_bf16" in flags,
            "load": os.getloadavg()}


def median_run(runs):
    """The median loss, with the iterations and choice of the run nearest it."""
    loss = statistics.median(r["loss"] for r in runs)
    nearest = min(runs, key=lambda r: abs(r["loss"] - loss))
    return {"loss": loss, "iterations": nearest["iterations"], "chose": nearest["chose"], "runs": runs}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=os.path.join(heldout.ROOT, ".build", "release", "charnn"))
    p.add_argument("--rows", default=ROWS)
    p.add_argument("--out", default=os.path.join(heldout.ROOT, ".build", "quality"))
    p.add_argument("--json", default="", help="also write every run's figures to this file")
    p.add_argument("--verbose", action="store_true", help="show charnn's progress")
    p.add_argument("train_args", nargs="*", help="more options for charnn train (after --), for both models")
    a = p.parse_args()
    start = machine()
    results = []
    for row in a.rows.split(","):
        corpus_name, budget, runs, *flags = row.split(":")
        corpus = heldout.build_corpus(corpus_name, os.path.join(a.out, "corpora"))
        tail = heldout.write_tail(corpus, a.out)
        automatic, fixed = [], []
        for i in range(int(runs)):
            automatic.append(train(a, corpus, budget, tail, f"{corpus_name}-{budget}-auto-{i}", []))
            if "fixed" in flags:
                fixed.append(train(a, corpus, budget, tail, f"{corpus_name}-{budget}-fixed-{i}", FIXED))
        results.append({"corpus": corpus_name, "bytes": os.path.getsize(corpus), "budget": budget,
                        "auto": median_run(automatic), "fixed": median_run(fixed) if fixed else None})
    end = machine()
    print(f"\n{start['cpu']}, {start['cores']} cores, AVX-512 BF16: {'yes' if start['avx512_bf16'] else 'no'}; "
          f"load average {start['load'][0]:.2f} at the start, {end['load'][0]:.2f} at the end\n")
    print("| corpus | budget | automatic mode chose | iterations | held-out nats/char | fixed 2×128 | automatic − fixed |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        f = r["fixed"]
        fixed_text = f"{f['loss']:.4f} ({f['iterations']} it.)" if f else "–"
        gain = f"{r['auto']['loss'] - f['loss']:+.4f}" if f else "–"
        runs = len(r["auto"]["runs"])
        over = f"median of {runs}" if runs > 2 else ("mean of 2" if runs == 2 else "1 run")
        print(f"| {r['corpus']} ({r['bytes'] / 1e6:.2g} MB) | {r['budget']} | {r['auto']['chose']} | {r['auto']['iterations']} | "
              f"{r['auto']['loss']:.4f} ({over}) | {fixed_text} | {gain} |")
    if a.json:
        with open(a.json, "w") as out:
            json.dump({"machine": start, "machine_at_end": end, "rows": results}, out, indent=1)


if __name__ == "__main__":
    main()
