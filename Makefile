# The same commands locally and in CI. `make run` and `make test` set up everything they need.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SEED    ?= 20261127
ARGS    ?=
PYTEST_ARGS ?=
# the browser tests drive Debian's Chromium with Playwright (a downloaded browser cannot install here)
export CHROMIUM ?= /usr/bin/chromium
comma := ,

.PHONY: run test lint docs routes browser node postgres unit suite contract-test contract-test-postgres spec-gate consumers wheel bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# swagger-ui-bundle (Swagger UI 4, of a venv made before pyproject pinned swagger-ui-bundle-v2) writes the same
	@# files: removing it after v2 would take v2's __init__.py with it, so both go and v2 comes back alone
	$(PY) -m pip uninstall --quiet -y swagger-ui-bundle swagger-ui-bundle-v2 2>/dev/null
	$(PY) -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/hub serve --dev --data-dir ./data $(ARGS)

# the one full gate: lint, the routes check, every pytest test (live servers, browser, PostgreSQL,
# bench smoke included), the contract run on each storage driver, the gate on the spec and the documentation site
test: lint docs routes browser postgres suite contract-test contract-test-postgres spec-gate

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# the documentation site from docs/ (mkdocs.yml), strict: a broken link or anchor, or a page left out
# of the nav, fails it
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir build/site

routes: $(STAMP)
	$(VENV)/bin/hub routes --check

# $(call debian,COMMAND,PACKAGE,WHAT FOR,HINT): Debian's PACKAGE when COMMAND is missing (as root),
# else one line saying what to install
define debian
	@command -v $(1) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's $(2) for $(3)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "make test needs $(2) for $(3): run 'sudo apt-get install -y $(2)'$(4)"; exit 1; \
	  fi; }
endef

browser:
	$(call debian,"$(CHROMIUM)",chromium,the browser tests,$(comma) or set CHROMIUM=/path/to/chromium)

# the PostgreSQL tests (the conformance suite, the kill test, ...) start a throwaway server of
# Debian's package as the postgres user; HUB_TEST_DATABASE_URL points them at one of yours instead
postgres:
	$(if $(HUB_TEST_DATABASE_URL),@echo "PostgreSQL tests on HUB_TEST_DATABASE_URL (the outage test still starts its own)",\
	  $(call debian,/usr/lib/postgresql/*/bin/pg_ctl,postgresql,the PostgreSQL tests,$(comma) or set HUB_TEST_DATABASE_URL))

# the benchmark smoke run (in make suite) sets this server beside Stoplight Prism, which npm installs
node:
	$(call debian,npm,npm,Stoplight Prism (bench target 12))

# the inner loop after each edit: no server (not even PostgreSQL), no browser, no corpus, no apt-get (under a
# minute on two cores). The tests run on a worker process per core (pytest-xdist; UNIT_WORKERS=0 runs
# them in this one), their temporary files (a SQLite database each) on tmpfs where one has room:
# the same tests, without waiting for the disk to sync each new database
UNIT_WORKERS ?= auto
UNIT_TMPDIR ?= $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 1048576 { print "/dev/shm" }')
unit: $(STAMP)
	$(if $(UNIT_TMPDIR),TMPDIR=$(UNIT_TMPDIR)) $(PY) -m pytest -p xdist.plugin -n $(UNIT_WORKERS) --dist worksteal \
	  -m "not live and not browser and not bench and not slow and not pg and not corpus" $(PYTEST_ARGS)

suite: $(STAMP) browser node postgres
	$(PY) -m pytest $(PYTEST_ARGS)

# `hub contract` (kataven_hub/contract/). SPEC=path/to/theirs.yaml checks another document;
# BASE_URL=... TOKEN=... [ACCOUNT=...] checks another server instead of starting one;
# BASE_SPEC=origin/main (or a file) checks the previous contract, positive cases only, against the
# server of the working tree; DATABASE=postgres serves from a throwaway PostgreSQL (support/)
contract-test: $(STAMP) $(if $(filter postgres,$(DATABASE)),postgres)
	PYTHONPATH="$(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))" $(VENV)/bin/hub contract \
	  $(if $(SPEC),--spec "$(abspath $(SPEC))") $(if $(BASE_SPEC),--base-spec "$(BASE_SPEC)") \
	  $(if $(BASE_URL),--url "$(BASE_URL)") $(if $(TOKEN),--token "$(TOKEN)") $(if $(ACCOUNT),--account "$(ACCOUNT)") \
	  $(if $(DATABASE),--database "$(DATABASE)") --seed $(SEED) --report-dir reports$(if $(filter postgres,$(DATABASE)),/postgres)

# the same contract run against a server on PostgreSQL
contract-test-postgres:
	$(MAKE) --no-print-directory contract-test DATABASE=postgres

# the gate on the spec itself: `hub diff` against the merge base with the default branch (the
# Markdown report in reports/spec-diff.md), then, if the document changed, the previous contract
# against this server. Exit 1 on a change the config does not allow; no base branch: said, passing
spec-gate: $(STAMP)
	$(PY) -m tests.contract.spec_gate --seed $(SEED) --report-dir reports

# re-record consumers/console.json (what the console uses of openapi.yaml, which the spec gate
# grades breaks by): the console's browser tests, run against `hub serve --record`, merge into it
consumers: $(STAMP) browser
	HUB_RERECORD_CONSUMERS=1 $(PY) -m pytest tests/test_console.py tests/test_e2e_example.py -k console $(PYTEST_ARGS)

bench: $(STAMP) node
	$(PY) -m bench.run

# the package as a team installs it: dist/kataven_hub-*.whl (`pip install 'dist/kataven_hub-….whl[contract]'`)
wheel:
	python3 -m pip wheel --quiet --no-deps . -w dist

clean:
	rm -rf $(VENV) dist build reports bench-results .bench-tools .pytest_cache .hypothesis .schemathesis
