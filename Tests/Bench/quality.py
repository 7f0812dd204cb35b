#!/usr/bin/env python3
"""The quality benchmark: how good a model `charnn train --time` makes on a corpus, in nats/char.

Trains with `--time TIME --val-frac 0.1` and nothing else (automatic mode chooses the rest), then
scores the best checkpoint with `charnn eval` on the last 10 % of the corpus: exactly the characters
held out for validation. That tail both selects the best checkpoint (and ends the run early) and
is reported on, as the published figures it is compared with do.

    make quality                                   # Tiny Shakespeare (../shared) for 5 minutes
    make quality QUALITY_TIME=30m QUALITY_CORPUS=corpora/shakespeare.txt
    python3 Tests/Bench/quality.py --time 5m --corpus FILE -- --cell gru   # extra train options

Development only: the default corpus lives outside the repository; `make test` never runs this.
"""
import argparse, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPORA = [os.path.join(ROOT, "..", "shared", "corpora", "tinyshakespeare.txt"),
                   os.path.join(ROOT, "corpora", "shakespeare.txt")]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "charnn"))
    p.add_argument("--corpus", default="")
    p.add_argument("--time", default="5m")
    p.add_argument("--out", default=os.path.join(ROOT, ".build", "quality"))
    p.add_argument("train_args", nargs="*", help="more options for charnn train (after --)")
    a = p.parse_args()
    corpus = a.corpus or next((c for c in DEFAULT_CORPORA if os.path.exists(c)), None)
    if not corpus or not os.path.exists(corpus):
        sys.exit("quality.py: no corpus: give --corpus FILE (or QUALITY_CORPUS=FILE), or run make corpora")
    os.makedirs(a.out, exist_ok=True)
    stem = os.path.splitext(os.path.basename(corpus))[0]
    tag = f"{stem}-{a.time}"
    checkpoint = os.path.join(a.out, f"{tag}.ckpt")
    best = os.path.join(a.out, f"{tag}.best.ckpt")

    # The validation split: the last int(n * 0.1) characters, n counted in Unicode scalars (Corpus.split),
    # of the text as train reads it (a leading BOM dropped, CRLF and CR as LF: TextNormalization.standard).
    text = open(corpus, encoding="utf-8", newline="").read()
    text = text[1:] if text.startswith("\ufeff") else text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    n_val = int(len(text) * 0.1)
    tail = os.path.join(a.out, f"{stem}.last10.txt")
    with open(tail, "w", encoding="utf-8", newline="") as f:
        f.write(text[len(text) - n_val:])

    cmd = [a.bin, "train", corpus, "--time", a.time, "--val-frac", "0.1", "--output", checkpoint, *a.train_args]
    print("==> " + " ".join(cmd), flush=True)
    chosen, last_lines = None, []
    with subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) as run:
        for line in run.stderr:
            sys.stderr.write(line)
            if line.startswith("charnn: chose "):
                chosen = line.strip()[len("charnn: "):]
            if line.startswith(("done:", "stopped early", "interrupted")):
                last_lines.append(line.strip())
    if run.returncode != 0:
        sys.exit(f"quality.py: charnn train exited with {run.returncode}")

    result = json.loads(subprocess.run([a.bin, "eval", best, tail, "--json"], check=True,
                                       capture_output=True, text=True).stdout)
    print()
    print(f"quality: {result['loss']:.4f} nats/char ({result['bpc']:.4f} bits/char) by charnn eval of {best}")
    print(f"  on the last 10 % of {corpus} ({result['chars'] + 1:,} characters), after charnn train --time {a.time}")
    print("  (the same held-out tail selected the best checkpoint and decided early stopping: it is both")
    print("  the validation split and the scored text, as in the published transformer figure)")
    print(f"  configuration: {chosen or 'as given (no automatic choice)'}")
    for line in last_lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
