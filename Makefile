# Unrolled — two commands on a fresh Debian machine with Swift: `make demo` and `make test`.
SWIFT ?= swift
APT_PACKAGES := libblis-dev libcairo2-dev liblapacke-dev pkg-config
# Release builds for anything that trains: debug numeric Swift is 10–50× slower.
RELEASE := -c release

.PHONY: install deps demo test test-kernels bench build golden clean deps-browser test-browser

# Install the C libraries when missing (apt on Debian/Ubuntu; elsewhere say what to install).
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "Unrolled needs BLIS (or another CBLAS), LAPACKE, Cairo and pkg-config. Install:$$missing (or your system's equivalents)"; exit 1; \
	fi

build: deps
	$(SWIFT) build $(RELEASE) --product unrolled

demo: build
	$(SWIFT) run $(RELEASE) unrolled run linear-sgd

# The binary and the lesson files it reads (lessons/ stays their one source):
# PREFIX/bin/unrolled and PREFIX/share/unrolled/lessons/.
PREFIX ?= /usr/local
install: build
	install -d $(PREFIX)/bin $(PREFIX)/share/unrolled/lessons
	install -m 755 "$$($(SWIFT) build $(RELEASE) --show-bin-path)/unrolled" $(PREFIX)/bin/unrolled
	install -m 644 lessons/*.yaml $(PREFIX)/share/unrolled/lessons/

# All tests are XCTest; --disable-swift-testing keeps an empty "0 tests" Swift Testing run from
# being the last line a reader sees.
test: deps
	$(SWIFT) test --disable-swift-testing

# The proof again with BLIS's AVX2 ("haswell", BLIS_ARCH_TYPE=3) kernels: the golden and
# fingerprint tests must hold for both kernel families. On a CPU without AVX-512 BLIS already
# runs AVX2 kernels and the AVX-512 ones cannot run, so this repeats the default.
test-kernels: deps
	BLIS_ARCH_TYPE=3 $(SWIFT) test --disable-swift-testing --filter 'GoldenModelTests|GoldenOpsTests|FingerprintTests|CollabModelTests'

# Unrolled vs PyTorch on the same work, alternated (bench/compare.py; tables for README "Speed":
# the lessons, raw sgemm per library, and tracing off against a build with tracing compiled out,
# which compare.py builds into .build/no-trace), then the micro-benchmark (matmul vs raw
# cblas_sgemm, tracing cost). BENCH_ARGS e.g. `--epochs 0.2 --only char3` for a quick look.
# The timed unit of work is `unrolled-dev bench-run`: the developer binary, never installed.
PYTHON ?= .venv-torch/bin/python
bench: deps
	@[ -x "$(PYTHON)" ] || { echo "make bench needs PyTorch: python3 -m venv .venv-torch && .venv-torch/bin/pip install -r tools/golden/requirements.txt"; exit 1; }
	$(SWIFT) build $(RELEASE) --product unrolled
	$(SWIFT) build $(RELEASE) --product unrolled-dev
	$(SWIFT) build $(RELEASE) --product unrolled-bench
	$(PYTHON) bench/compare.py $(BENCH_ARGS)
	.build/release/unrolled-bench

# The lesson book in a real browser: Debian's headless Chromium and its driver, and Selenium in a
# small venv. The test builds every page with a release build and fails (never skips) when the
# browser is missing. CORPUS=path passes --corpus (default: ../shared/data/nietzsche.txt).
BROWSER_PACKAGES := chromium chromium-driver python3-venv
SELENIUM := selenium==4.51.0
deps-browser: deps
	@missing=""; \
	for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "the browser test needs Chromium and chromedriver. Install:$$missing"; exit 1; \
	fi

.venv-browser/ready: Makefile
	python3 -m venv .venv-browser
	.venv-browser/bin/pip install -q "$(SELENIUM)"
	touch $@

test-browser: deps-browser .venv-browser/ready
	$(SWIFT) build $(RELEASE) --product unrolled
	.venv-browser/bin/python tools/book/browser_test.py --unrolled .build/release/unrolled $(if $(CORPUS),--corpus $(CORPUS))

# Regenerate the PyTorch and numpy golden fixtures (needs the venv: see README, "Golden values").
golden:
	.venv-torch/bin/python tools/golden/make_golden.py
	.venv-torch/bin/python tools/golden/make_state_dicts.py
	.venv-torch/bin/python tools/golden/make_cv_idxs.py
	.venv-torch/bin/python tools/golden/make_layer_golden.py
	$(SWIFT) build --product unrolled  # the collab fixture reads the synthetic set `unrolled data synthetic` writes
	.venv-torch/bin/python tools/golden/make_collab_golden.py --unrolled .build/debug/unrolled
	.venv-torch/bin/python tools/golden/make_mixed_golden.py --unrolled .build/debug/unrolled

clean:
	rm -rf .build
