# Jamii: `make run` starts the demo federation, `make test` runs the whole suite.
# Both work from a fresh clone with only Python 3.11+: they create .venv and install first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Jamii needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/jamii demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python -m benchmarks.timeline
	$(BIN)/python -m benchmarks.inbox
	$(BIN)/python -m benchmarks.fanout
	$(BIN)/python -m benchmarks.page_weight
	$(BIN)/python -m benchmarks.home_http

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
