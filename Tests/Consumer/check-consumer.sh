#!/usr/bin/env bash
# make check-consumer: proves the CharRNN library works as a versioned dependency. A tagged copy of
# this repository's HEAD, a consumer package that depends on it by file:// URL and version, built
# as any other package would be (no CHARNN_LOCAL_BUILD, so not tuned to this CPU); it loads a
# checkpoint, samples and scores it through the public API and must match what charnn prints.
# usage: check-consumer.sh CHARNN_BINARY [SWIFT]
set -euo pipefail
bin=$(realpath "$1"); swift=${2:-swift}
repository=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/charnn-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset CHARNN_LOCAL_BUILD CHARNN_TARGET_CPU

git clone -q --no-hardlinks "$repository" "$work/charnn"
git -C "$work/charnn" checkout -q "$(git -C "$repository" rev-parse HEAD)"   # this worktree's commit
git -C "$work/charnn" -c user.name=check -c user.email=check@localhost tag -a 0.1.0 -m "check-consumer" HEAD

mkdir -p "$work/app/Sources/app"
cat > "$work/app/Package.swift" <<SWIFT
// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "app",
    dependencies: [.package(url: "file://$work/charnn", from: "0.1.0")],
    targets: [.executableTarget(name: "app", dependencies: [.product(name: "CharRNN", package: "charnn")])]
)
SWIFT
# The README's example (load, sample, eval), exactly as the README shows it.
python3 - "$repository/README.md" > "$work/app/Sources/app/main.swift" <<'PY'
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
section = readme[readme.index("## Using the library"):]
print(re.search(r"```swift\n(.*?)```", section, re.S).group(1), end="")
PY

python3 -c "print('the quick brown fox jumps over the lazy dog. she sells sea shells by the sea shore.\n' * 40, end='')" \
    > "$work/corpus.txt"
(cd "$work" && "$bin" train corpus.txt --hidden 16 --layers 1 --iterations 30 --output model.ckpt > /dev/null 2>&1)

echo "==> swift build -c release in a consumer of charnn 0.1.0 ($work/app)"
"$swift" build -c release --package-path "$work/app" 2>&1 | tail -3
got=$("$work/app/.build/release/app" "$work/model.ckpt" "$work/corpus.txt")
sample=$("$bin" sample "$work/model.ckpt" --prime "the " --length 200 --temperature 0.8)
loss=$("$bin" eval "$work/model.ckpt" "$work/corpus.txt" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("loss %.6f nats/char over %d characters" % (d["loss"], d["chars"]))')
expected=$(printf '%s\n%s' "$sample" "$loss")
if [[ "$got" != "$expected" ]]; then
    printf 'check-consumer: the consumer printed\n%s\nbut charnn prints\n%s\n' "$got" "$expected" >&2
    exit 1
fi
echo "check-consumer: a package depending on charnn 0.1.0 by version loads, samples and scores a checkpoint as charnn does"
