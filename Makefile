# Two commands: `make run` and `make test`. Both create .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= sqlite:///dealgate.db

.PHONY: run test lint typecheck unit clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dealgate --db $(DB) init
	$(BIN)/dealgate --db $(DB) demo
	$(BIN)/dealgate --db $(DB) deal list
	$(BIN)/dealgate --db $(DB) review

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n 2 tests

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
