#!/usr/bin/env python3
"""The units page benchmark: size and load time of `inspect-cells --contexts 10 --output units.html`
for a 2 x 512 LSTM (every one of its 1,024 h units) in headless Chromium.

Load time is the wall time of `chromium --headless --screenshot` (which waits for the load event,
then draws the first screen) on the page, minus the same for an empty page (the browser's own
start-up), median of five runs.

    make bench-page                                   # trains a throwaway 2 x 512 model first
    python3 Tests/Bench/units_page.py --checkpoint CKPT --text FILE --max-chars 200000

Skipped (exit 0, with a note) where no Chromium is installed. Development only: `make test` never runs it.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPORA = [os.environ.get("TINYSHAKESPEARE", ""), os.path.join(ROOT, "corpora", "shakespeare.txt")]
BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


def load_seconds(browser, path, runs):
    """Median wall time of a headless load of `path` (a file) until the load event."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--window-size=1280,1000",
                        "--screenshot=" + path + ".png", "file://" + path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "charnn"))
    p.add_argument("--checkpoint", default="", help="default: train a 2 x 512 LSTM for 2 iterations")
    p.add_argument("--text", default="")
    p.add_argument("--max-chars", default="100000")
    p.add_argument("--contexts", default="10")
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if not browser:
        print("units_page.py: skipped: no Chromium installed (Debian: apt-get install chromium)")
        return
    text = a.text or next((c for c in DEFAULT_CORPORA if os.path.exists(c)), None)
    if not text:
        sys.exit("units_page.py: no text: give --text FILE, or run make corpora")
    work = tempfile.mkdtemp(prefix="units-page-")
    checkpoint = a.checkpoint
    if not checkpoint:
        checkpoint = os.path.join(work, "big.ckpt")
        subprocess.run([a.bin, "train", text, "--layers", "2", "--hidden", "512", "--iterations", "2", "--batch-size", "4",
                        "--seq-length", "16", "--output", checkpoint], check=True, stdout=subprocess.DEVNULL)
    page = os.path.join(work, "units.html")
    start = time.perf_counter()
    subprocess.run([a.bin, "inspect-cells", checkpoint, text, "--contexts", a.contexts, "--max-chars", a.max_chars,
                    "--output", page], check=True)
    written = time.perf_counter() - start
    empty = os.path.join(work, "empty.html")
    with open(empty, "w") as f:
        f.write("<!DOCTYPE html><html><head><title>empty</title></head><body></body></html>\n")
    page_load, empty_load = load_seconds(browser, page, a.runs), load_seconds(browser, empty, a.runs)
    size = os.path.getsize(page)
    print(f"page: {size / 1e6:.2f} MB (limit 10 MB), written in {written:.1f} s")
    print(f"load in headless Chromium: {page_load:.2f} s; an empty page {empty_load:.2f} s; "
          f"the page's own {page_load - empty_load:.2f} s (limit 2 s)")
    shutil.rmtree(work)
    if size > 10e6 or page_load - empty_load > 2:
        sys.exit("units_page.py: over the limit")


if __name__ == "__main__":
    main()
