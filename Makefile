# painscope — two commands:  `make demo` (main job on built-in data) and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch / torchvision: pyproject allows a range; this pin is what these machines serve from disk.
# Override on your own machine, e.g.  make test TORCH_SPEC="torch torchvision"
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.painscope-installed

.PHONY: install demo test test-all check lint format clean

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

# everything, including slow and browser tests (what CI runs after `make test`)
test-all: check
	$(PY) -m pytest -q -m "not gpu"

format: $(STAMP)
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
