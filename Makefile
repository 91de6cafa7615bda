# Two commands: `make run` and `make test`. Both create .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= sqlite:///dealgate.db
PORT ?= 8000

.PHONY: run test lint typecheck unit clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dealgate --db $(DB) init
	$(BIN)/dealgate --db $(DB) demo
	$(BIN)/dealgate --db $(DB) review
	@$(BIN)/dealgate --db $(DB) user add demo-admin --role admin --json 2>/dev/null \
		| $(BIN)/python -c "import json,sys; print('API token for demo-admin:', json.load(sys.stdin)['token'])" \
		|| echo "(demo-admin exists: get a new token with: dealgate user token demo-admin)"
	@echo "Serving on http://127.0.0.1:$(PORT): log in as maria / dealgate-demo, or ada / dealgate-demo to import (API docs at /api/docs). Ctrl-C stops."
	$(BIN)/dealgate --db $(DB) serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench docs

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n 2 tests

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
