# The same commands locally and in CI. `make run` and `make test` set up everything they need.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SEED    ?= 20261127
ARGS    ?=

.PHONY: run test lint routes unit contract-test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/hub serve --dev --data-dir ./data $(ARGS)

test: lint routes unit contract-test

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

routes: $(STAMP)
	$(VENV)/bin/hub routes --check

unit: $(STAMP)
	$(PY) -m pytest

# BASE_URL=... TOKEN=... [ACCOUNT=...] checks another server instead of starting one
contract-test: $(STAMP)
	$(PY) -m tests.contract.run_live --seed $(SEED) --report-dir reports

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) reports bench-results .pytest_cache .hypothesis .schemathesis
