#!/usr/bin/env python3
"""Peak memory of `charnn train` against corpus size (make memcheck).

Generates seeded English-like ASCII corpora of a small and a large size, trains the default model
on each for a few iterations, reads each run's peak resident set size from the kernel (wait4), and
prints the extra bytes of memory per extra character. Fails if that exceeds --limit bytes/char.
"""
import argparse
import os
import random
import subprocess
import sys
import time


def write_corpus(path, size):
    """Writes `size` bytes of seeded pseudo-text (~70 distinct characters) unless already there."""
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    rng = random.Random(size)
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(5000)]
    words += [w.capitalize() for w in words[:800]] + ["I", "A", "O", "42", "1999", "x7"]
    punctuation = [" "] * 30 + [", ", ". ", "; ", ": ", "! ", "? ", " - ", "'s ", ".\n", ".\n\n", " (", ") ", '"']
    with open(path + ".part", "w", encoding="ascii") as f:
        written = 0
        while written < size:
            chunk = "".join(rng.choice(words) + rng.choice(punctuation) for _ in range(20000))
            chunk = chunk[: size - written]
            f.write(chunk)
            written += len(chunk)
    os.replace(path + ".part", path)


def peak_rss(command):
    """Runs `command`; returns (exit status, peak RSS in bytes, seconds)."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"memcheck: {' '.join(command)} failed ({code}):\n{stderr}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    return usage.ru_maxrss * scale, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=".build/release/charnn")
    parser.add_argument("--dir", default=".build/memcheck")
    parser.add_argument("--small-mb", type=float, default=1)
    parser.add_argument("--large-mb", type=float, default=100)
    parser.add_argument("--limit", type=float, default=4, help="fail above this many bytes per character")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    results = []
    for mb in (args.small_mb, args.large_mb):
        size = int(mb * 1_000_000)
        corpus = os.path.join(args.dir, f"corpus-{size}.txt")
        write_corpus(corpus, size)
        # The default model; no validation split, so the figure is the cost of holding the text.
        command = [args.bin, "train", corpus, "--iterations", "5", "--val-frac", "0", "--threads", "1",
                   "--output", os.path.join(args.dir, "memcheck.ckpt")]
        rss, seconds = peak_rss(command)
        results.append((size, rss))
        print(f"{size:>12,} chars  peak RSS {rss / 2**20:8.1f} MiB  ({seconds:.1f} s)")
    (small, small_rss), (large, large_rss) = results
    per_char = (large_rss - small_rss) / (large - small)
    print(f"memory per character: {per_char:.2f} bytes "
          f"(peak RSS difference / character difference, limit {args.limit:g})")
    if per_char > args.limit:
        sys.exit(f"memcheck: {per_char:.2f} bytes per character is above {args.limit:g}")


if __name__ == "__main__":
    main()
