# painscope — two commands:  `make demo` (main job on built-in data) and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch / torchvision: pyproject allows a range; this pin is what these machines serve from disk.
# Override on your own machine, e.g.  make test TORCH_SPEC="torch torchvision"
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.painscope-installed

.PHONY: install demo test test-quick test-all test-browser report-screenshot chromium check lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch, torchvision" 2>/dev/null || $(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/painscope demo

check: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

test: check
	$(PY) -m pytest -q

# the quick local loop: everything but the slow end-to-end tests (demo, kill -9 of cv, bench e2e)
test-quick: check
	$(PY) -m pytest -q -m "not slow and not gpu and not browser"

# everything, including slow and browser tests (what CI runs after `make test`)
test-all: check
	$(PY) -m pytest -q -m "not gpu"

# headless Chromium for the browser test (Debian package; needs root or sudo the first time)
chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  (DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# the report rendered in headless Chromium, networking off (CI runs it after `make test`)
test-browser: $(STAMP) chromium
	$(PY) -m pytest -q -m browser

# refresh docs/images/report_screenshot.png from a synthetic run
report-screenshot: $(STAMP) chromium
	PAINSCOPE_SCREENSHOT=$(CURDIR)/docs/images/report_screenshot.png \
	  $(PY) -m pytest -q -m browser -k screenshot

format: $(STAMP)
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
