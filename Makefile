# Pairwise developer commands. Only Python 3.11+ and make are needed; everything else goes into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PAIRWISE := $(BIN)/pairwise
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt migrate bench clean install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# Bytecode for the app's own modules, written once here: an editable install leaves them to be compiled
# by the first run, and with PYTHONDONTWRITEBYTECODE set (as in many shells and images) by every run, which
# cost each import worker 90 ms and each `pairwise` command as much again (quick when nothing changed).
install: $(VENV)/.installed
	$(BIN)/python -m compileall -q app
install-dev: $(VENV)/.installed-dev
	$(BIN)/python -m compileall -q app

## run: create .venv, install, migrate, load demo data and accounts, serve on http://127.0.0.1:8000
run: install
	PAIRWISE_MODE=demo $(PAIRWISE) demo
	PAIRWISE_MODE=demo $(PAIRWISE) serve --host $(HOST) --port $(PORT)

# Test processes (pytest-xdist): one per core, at most 4 (each may hold a browser and the training
# libraries); each test file runs whole in one of them (its module fixtures, servers and browsers are set
# up once). PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= auto

## test: install dev dependencies, lint, and run the whole suite
test: install-dev lint
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app benchmarks tests

fmt: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(PAIRWISE) db upgrade

bench: install-dev
	$(BIN)/python benchmarks/detection.py
	$(BIN)/python benchmarks/standalone.py
	$(BIN)/python benchmarks/import_speed.py
	$(BIN)/python benchmarks/export_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
