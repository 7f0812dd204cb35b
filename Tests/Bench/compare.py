#!/usr/bin/env python3
"""charnn against the PyTorch reference, side by side, printed as a Markdown table.

For every model and hidden size, each round runs `charnn bench --json` for that one configuration
in each `--precision` (fp32, bf16), then the reference script's `train` and `sample` modes
(`--torch-script`, run by `--torch-python`, always fp32); the next round runs
them in the reverse order, so drift in the machine's load hits both sides alike. Each figure is the
median over rounds of the per-run medians; each charnn precision gets its own row against the same
PyTorch runs.

    make bench-compare TORCH_PYTHON=venv/bin/python TORCH_SCRIPT=torch_charnn.py BENCH_CORPUS=text.txt
    python3 Tests/Bench/compare.py --torch-python P --torch-script S --models lstm --hidden 128 --rounds 1

Without a PyTorch reference it prints charnn's figures alone. Development only: the reference script
lives outside the repository, never needed by `make test`.
"""
import argparse, json, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def first_existing(paths):
    return next((p for p in paths if p and os.path.exists(p)), None)


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def charnn_run(a, model, hidden, precision):
    cmd = [a.charnn, "bench", "--json", "--models", model, "--hidden", str(hidden), "--threads", str(a.threads),
           "--precision", precision,
           "--iterations", str(a.iterations), "--warmup", str(a.warmup), "--sample-length", str(a.sample_length)]
    if a.corpus:
        cmd += ["--corpus", a.corpus]
    report = run_json(cmd)
    r = report["results"][0]
    return {"train": r["train_chars_per_s"], "gflops": r["gflops"], "gflops_pt": r["pytorch_equivalent_gflops"],
            "sample": r["sample_chars_per_s"], "rss_mib": r["peak_rss_bytes"] / 1048576, "corpus": report["corpus"],
            "precision": r["setup"].get("precision", "fp32")}


def torch_run(a, model, hidden):
    base = [a.torch_python, a.torch_script]
    common = ["--model", model, "--hidden", str(hidden), "--threads", str(a.torch_threads or a.threads)]
    # The script skips its first 5 iterations when taking the median.
    t = run_json(base + ["train", "--corpus", a.corpus, "--iters", str(5 + a.iterations)] + common)
    length = a.torch_sample_length if hidden < 512 else max(200, a.torch_sample_length // 4)
    s = run_json(base + ["sample", "--length", str(length)] + common)
    return {"train": t["train_chars_per_s"], "sample": s["chars_per_s"], "rss_mib": t["peak_rss_mib"],
            "version": t["version"], "gflops_pt": None}


def med(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(x, digits=0):
    if x is None:
        return "—"
    return f"{x:,.{digits}f}"


def ratio(x, y, invert=False):
    if x is None or y is None or x == 0 or y == 0:
        return "—"
    return f"1/{y / x:.1f}" if invert else f"{x / y:.2f}×"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--charnn", default=os.path.join(ROOT, ".build/release/charnn"))
    p.add_argument("--torch-python", help="a Python with torch installed (without it: charnn only)")
    p.add_argument("--torch-script", help="the PyTorch reference program (without it: charnn only)")
    p.add_argument("--corpus", default=first_existing([os.path.join(ROOT, "corpora/shakespeare.txt")]))
    p.add_argument("--models", default="lstm,gru,rnn")
    p.add_argument("--hidden", default="128,512")
    p.add_argument("--precision", default="fp32,bf16", help="charnn's training precisions, one row each (PyTorch: fp32)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iterations", type=int, default=20, help="timed training iterations per run (both sides)")
    p.add_argument("--warmup", type=int, default=5, help="charnn's untimed iterations (PyTorch's script skips 5)")
    p.add_argument("--sample-length", type=int, default=5000, help="charnn characters per sampling run")
    p.add_argument("--torch-sample-length", type=int, default=2000, help="PyTorch sampling length (a quarter at H ≥ 512)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--torch-threads", type=int, help="PyTorch's threads, if not --threads (its OpenMP pool degrades badly on a busy machine)")
    p.add_argument("--json", help="also write every run's figures to this file")
    a = p.parse_args()
    a.charnn = os.path.abspath(a.charnn)
    if a.corpus:
        a.corpus = os.path.abspath(a.corpus)
    have_torch = (a.torch_python and a.torch_script and os.path.exists(a.torch_python)
                  and os.path.exists(a.torch_script) and a.corpus)
    if not os.path.exists(a.charnn):
        sys.exit(f"compare.py: no charnn binary at {a.charnn}; run `make build` first")
    if not have_torch:
        print(f"compare.py: no PyTorch reference ({a.torch_python}, {a.torch_script}); charnn only", file=sys.stderr)

    precisions = a.precision.split(",")
    rows, raw = [], []
    for model in a.models.split(","):
        for hidden in [int(h) for h in a.hidden.split(",")]:
            ours, theirs = {p: [] for p in precisions}, []
            sides = [("charnn", p) for p in precisions] + [("torch", None)]
            for k in range(a.rounds):
                for side, precision in (sides if k % 2 == 0 else sides[::-1]):
                    if side == "charnn":
                        ours[precision].append(charnn_run(a, model, hidden, precision))
                    elif have_torch:
                        theirs.append(torch_run(a, model, hidden))
                print(f"# {model} {hidden} round {k + 1}: charnn "
                      + ", ".join(f"{ours[p][-1]['precision']} {ours[p][-1]['train']:,.0f}" for p in precisions)
                      + f" / PyTorch {theirs[-1]['train'] if theirs else float('nan'):,.0f} train chars/s",
                      file=sys.stderr, flush=True)
            for p in precisions:
                raw.append({"model": model, "hidden": hidden, "precision": ours[p][0]["precision"], "charnn": ours[p],
                            "pytorch": theirs})
                rows.append((model, hidden, ours[p][0]["precision"],
                             {k: med(ours[p], k) for k in ["train", "gflops", "gflops_pt", "sample", "rss_mib"]},
                             {k: med(theirs, k) for k in ["train", "sample", "rss_mib"]}))

    corpus = raw[0]["charnn"][0]["corpus"] if raw and raw[0]["charnn"] else "?"
    version = next((r["pytorch"][0]["version"] for r in raw if r["pytorch"]), None)
    print(f"Date {time.strftime('%Y-%m-%d', time.gmtime())}; corpus {corpus}; {a.threads} threads for charnn, "
          f"{a.torch_threads or a.threads} for PyTorch; "
          f"median of {a.rounds} alternating round(s), each the median of {a.iterations} timed iterations"
          + (f"; PyTorch {version}" if version else "") + ".\n")
    print("| model | H | charnn precision | train chars/s charnn | PyTorch fp32 | ratio | charnn GFLOP/s (PyTorch-eq.) "
          "| sample chars/s charnn | PyTorch | ratio | peak RSS charnn | PyTorch | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, hidden, precision, o, t in rows:
        print(f"| {model} | {hidden} | {precision} | {fmt(o['train'])} | {fmt(t['train'])} | {ratio(o['train'], t['train'])} "
              f"| {fmt(o['gflops'], 1)} ({fmt(o['gflops_pt'], 1)}) "
              f"| {fmt(o['sample'])} | {fmt(t['sample'])} | {ratio(o['sample'], t['sample'])} "
              f"| {fmt(o['rss_mib'], 1)} MiB | {fmt(t['rss_mib'], 0)} MiB | {ratio(o['rss_mib'], t['rss_mib'], invert=True)} |")
    print("\nSpeed ratios are charnn ÷ PyTorch; the memory ratio is charnn's peak RSS as a fraction of PyTorch's. "
          "Sampling is fp32 in both rows.")
    # Each round runs the two sides back to back, so a round's own ratio cancels the machine's
    # slower and faster minutes better than the ratio of the two medians; on a shared machine the
    # two can differ (2.03× against 1.89× in one run), and both are worth stating.
    paired = []
    for r in raw:
        ratios = [o["train"] / t["train"] for o, t in zip(r["charnn"], r["pytorch"]) if o["train"] and t["train"]]
        if ratios:
            paired.append(f"{r['model']}-{r['hidden']} {r['precision']} " + ", ".join(f"{x:.2f}" for x in ratios)
                          + f" (median {statistics.median(ratios):.2f}×)")
    if paired:
        print("\nTraining ratio of each round (charnn ÷ PyTorch): " + "; ".join(paired) + ".")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
