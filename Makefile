# Two commands on a fresh machine:  make run   (the product, with the demo)   make test   (every check)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck unit install install-dev bench-api clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

install: $(BIN)/.installed
install-dev: $(BIN)/.installed-dev

## Run Tandem on http://127.0.0.1:8000 with the embedded defaults (SQLite, in-process broker, demo store).
run: install
	$(BIN)/tandem serve

## Everything CI checks: lint, types, architecture rules, then the whole test suite.
test: install-dev lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider -n auto --dist loadfile

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy src

unit: install-dev
	$(BIN)/pytest -q tests/unit

bench-api: install
	$(BIN)/tandem bench api

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
