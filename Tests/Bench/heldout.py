"""The quality benchmarks' shared pieces: the held-out tail of a corpus as `charnn train --val-frac F`
splits it, scoring a checkpoint on it with `charnn eval`, and the corpora the benchmarks name.

Development only: `make test` never runs these.
"""
import glob, json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# Tiny Shakespeare is not in the repository: $TINYSHAKESPEARE names it (make quality TINYSHAKESPEARE=FILE).
TINYSHAKESPEARE = os.environ.get("TINYSHAKESPEARE", "")

# Two-sided 95 % quantiles of Student's t for n - 1 degrees of freedom (n = 2 … 21).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086}


def read_text(path):
    """The text as train reads it: a leading BOM dropped, CRLF and CR as LF (TextNormalization.standard)."""
    text = open(path, encoding="utf-8", newline="").read()
    text = text[1:] if text.startswith("\ufeff") else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_tail(corpus, out_dir, fraction=0.1):
    """The last int(n × fraction) characters (Unicode scalars, as Corpus.split counts), written beside the runs."""
    text = read_text(corpus)
    n_val = int(len(text) * fraction)
    stem = os.path.splitext(os.path.basename(corpus))[0]
    tail = os.path.join(out_dir, f"{stem}.last{int(fraction * 100)}.txt")
    os.makedirs(out_dir, exist_ok=True)
    with open(tail, "w", encoding="utf-8", newline="") as f:
        f.write(text[len(text) - n_val:])
    return tail


def score(binary, checkpoint, tail):
    """Nats per character of `checkpoint` on `tail`, by charnn eval."""
    out = subprocess.run([binary, "eval", checkpoint, tail, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["loss"]


def mean_interval(values):
    """The mean and the half-width of its 95 % interval (Student's t)."""
    m = statistics.mean(values)
    if len(values) < 2:
        return m, float("nan")
    return m, T95[min(len(values) - 1, 20)] * statistics.stdev(values) / len(values) ** 0.5


def build_corpus(name, out_dir):
    """The path of a named benchmark corpus, made under out_dir where it is assembled from files here.

    tinyshakespeare  the file $TINYSHAKESPEARE names (1.1 MB, verse drama)
    shakespeare      corpora/shakespeare.txt, the complete works (5 MB, drama and poems; make corpora)
    swift-source     corpora/swift-source.txt, this project's sources (about 1 MB, code; make corpora)
    licences         the first 100,000 characters of Debian's /usr/share/common-licenses, files in name
                     order (legal English)
    python-docs      Python's own documentation topics (pydoc_data/topics.py of the running python3,
                     about 750 KB of reference prose with code): the corpus the rule was never tuned on
    """
    if name == "tinyshakespeare":
        if not os.path.isfile(TINYSHAKESPEARE):
            sys.exit("the tinyshakespeare rows need the text: make quality TINYSHAKESPEARE=FILE (or the environment variable)")
        return TINYSHAKESPEARE
    if name in ("shakespeare", "swift-source"):
        path = os.path.join(ROOT, "corpora", f"{name}.txt")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(ROOT, "corpora", "build_corpora.py"), "--only", name], check=True)
        return path
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.txt")
    if name == "licences":
        files = sorted(f for f in glob.glob("/usr/share/common-licenses/*") if not os.path.islink(f))
        text = "".join(open(f, encoding="utf-8", errors="replace").read() for f in files)[:100_000]
    elif name == "python-docs":
        import pydoc_data.topics as topics
        text = "\n\n".join(topics.topics[k] for k in sorted(topics.topics))
    else:
        sys.exit(f"unknown corpus {name}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path
