#!/usr/bin/env python3
"""Does bf16 training cost quality? Paired fp32/bf16 trainings, scored on held-out text.

For each corpus and each seed, trains the same model for the same number of updates twice, once with
`--precision fp32` and once with `--precision bf16` (same seed, so the same initial weights, data
order and dropout masks), then scores each best checkpoint with `charnn eval` on the corpus's last
10 % (held out by `--val-frac 0.1`). Prints each seed's pair, and the mean of bf16 − fp32 with its
95 % interval (Student's t over the seeds). The seeds are fixed here, before any result.

    make quality-bf16                                   # Tiny Shakespeare and the Swift sources, 8 seeds
    python3 Tests/Bench/quality_bf16.py --corpora swift-source --seeds 1,2 --iterations 200

Runs are updates-matched, not time-matched, so the machine's load changes how long this takes, not
what it finds. `--jobs 2` runs two trainings at a time, one thread each.
"""
import argparse, concurrent.futures, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout  # noqa: E402

# Automatic mode's optimiser settings (cosine from 4e-3 after a warmup; no dropout below 8 passes, and
# 3,000 updates of 2,500 characters are under 8 passes of either corpus) on char-rnn's 2x128, for long
# enough that the cosine ends near convergence: where a run stops short of it, where its path happened to
# be matters more than the number format (1,000 updates of 2x256 spread the seeds by up to 0.56 nats/char).
MODEL = ["--hidden", "128", "--layers", "2", "--dropout", "0", "--lr", "4e-3", "--lr-schedule", "cosine",
         "--val-frac", "0.1", "--patience", "0"]


def train_and_score(a, corpus, tail, seed, precision):
    checkpoint = os.path.join(a.out, f"{os.path.basename(corpus)}-s{seed}-{precision}.ckpt")
    cmd = [a.bin, "train", corpus, *MODEL, "--iterations", str(a.iterations), "--eval-every", str(a.iterations // 4),
           "--seed", str(seed), "--precision", precision, "--threads", str(a.threads), "--output", checkpoint, "--force"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    best = checkpoint[: -len(".ckpt")] + ".best.ckpt"
    return heldout.score(a.bin, best, tail)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=os.path.join(heldout.ROOT, ".build", "release", "charnn"))
    p.add_argument("--corpora", default="tinyshakespeare,swift-source")
    p.add_argument("--seeds", default="1,2,3,4,5,6,7,8")
    p.add_argument("--iterations", type=int, default=3000)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="threads per training (default: 2 / jobs, at least 1)")
    p.add_argument("--out", default=os.path.join(heldout.ROOT, ".build", "quality-bf16"))
    a = p.parse_args()
    a.threads = a.threads or max(1, 2 // a.jobs)
    seeds = [int(s) for s in a.seeds.split(",")]
    print(f"model: LSTM {' '.join(MODEL)} --iterations {a.iterations}; seeds {a.seeds}", flush=True)
    for name in a.corpora.split(","):
        corpus = heldout.build_corpus(name, os.path.join(a.out, "corpora"))
        tail = heldout.write_tail(corpus, a.out)
        jobs = [(seed, precision) for seed in seeds for precision in ("fp32", "bf16")]
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
            losses = dict(zip(jobs, pool.map(lambda j: train_and_score(a, corpus, tail, *j), jobs)))
        differences = [losses[(s, "bf16")] - losses[(s, "fp32")] for s in seeds]
        print(f"\n{name} ({corpus}), held-out last 10 %, nats/char\n")
        print("| seed | fp32 | bf16 | bf16 − fp32 |\n|---|---|---|---|")
        for s, d in zip(seeds, differences):
            print(f"| {s} | {losses[(s, 'fp32')]:.4f} | {losses[(s, 'bf16')]:.4f} | {d:+.4f} |")
        mean, half = heldout.mean_interval(differences)
        print(f"\nbf16 − fp32: mean {mean:+.4f}, 95 % interval [{mean - half:+.4f}, {mean + half:+.4f}] over {len(seeds)} seeds",
              flush=True)


if __name__ == "__main__":
    main()
