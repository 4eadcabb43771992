# polyglot-dtp: the two commands a newcomer needs are `make run` and `make test`.
# Both create their own virtualenv (.venv) on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# PostgreSQL for the second test pass; each run makes (and drops) a database of its own.
TEST_POSTGRES_URL ?= $(or $(DTP_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/postgres)
PYTEST_ARGS ?=

.PHONY: help run test test-sqlite test-postgres scan check bench clean

help:
	@echo "make run    - serve the portal with the sample twins on http://localhost:8000"
	@echo "make test   - run the test suite on SQLite, then on PostgreSQL"
	@echo "make scan   - reconcile twins/ into the registry once"
	@echo "make check  - validate twins/ and show what a scan would change"
	@echo "make bench  - benchmarks beside their baselines (QUICK=1 for small sizes)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_admin
	$(PY) -m polyglot_dtp.supervisor

test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The database-backed tests again on PostgreSQL. Skipped with a note when no
# server answers, except in CI (DTP_REQUIRE_SERVICES=1), where that fails.
test-postgres: $(STAMP)
	@if $(PY) -m tests.services postgres "$(TEST_POSTGRES_URL)"; then \
	  echo "--- database tests on PostgreSQL"; \
	  DATABASE_URL="$(TEST_POSTGRES_URL)" $(PY) -m pytest -m django_db $(PYTEST_ARGS); \
	else \
	  test "$$DTP_REQUIRE_SERVICES" != 1; \
	fi

scan: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py scan_twins

check: $(STAMP)
	$(PY) manage.py scan_twins --check

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis

# Benchmarks beside their baselines, one table (bench/results/latest.md). QUICK=1: small sizes.
bench: $(STAMP)
	$(PY) -m bench $(if $(QUICK),--quick,)
