# The two commands: `make run` and `make test`. Both do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := web
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
LINT_PATHS := casemgmt web tests config.py bench
# pytest-xdist: each half of the suite runs in parallel, one worker per core (each worker builds its own templates)
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

.PHONY: run test test-sqlite test-pg screenshots fuzz bench setup browser-deps pdf-deps lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

# bpmn-js, its properties panel and dmn-js, from the npm registry (served from node_modules, never committed)
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Server-side PDFs (WeasyPrint) need pango and a Chinese font from Debian. Installed only when missing.
pdf-deps:
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk >/dev/null 2>&1 || { \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk; }

# Browser tests drive Debian's chromium; fonts-noto-cjk so that Chinese renders. Installed only when missing.
browser-deps:
	@command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			chromium fonts-noto-cjk; }

# The admin modeler: bpmn-js with the Camunda 7 properties panel ship as ES modules only, so esbuild bundles them
# into web/admin/static/build/ (ignored by git, never committed)
web/admin/static/build/modeler.js web/admin/static/build/dmn.js &: node_modules/.installed web/admin/assets/modeler_bundle.js web/admin/assets/dmn_bundle.js
	npm run --silent build

instance/audit_checkpoint_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

setup: $(VENV)/.installed instance/secret_key instance/audit_checkpoint_key node_modules/.installed web/admin/static/build/modeler.js web/admin/static/build/dmn.js

run: setup pdf-deps
	SECRET_KEY=$$(cat instance/secret_key) AUDIT_CHECKPOINT_KEY=$$(cat instance/audit_checkpoint_key) $(BIN)/flask migrate
	SECRET_KEY=$$(cat instance/secret_key) AUDIT_CHECKPOINT_KEY=$$(cat instance/audit_checkpoint_key) $(BIN)/flask seed --demo
	SECRET_KEY=$$(cat instance/secret_key) AUDIT_CHECKPOINT_KEY=$$(cat instance/audit_checkpoint_key) TIMER_WORKER=1 $(BIN)/flask run --host 127.0.0.1 --port 5000 --no-reload

test: setup browser-deps pdf-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-pg

test-sqlite:
	@echo "== test suite on SQLite =="
	$(PYTEST) tests

test-pg:
	@if scripts/pg_ready "$(PG_URL)"; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		TEST_DATABASE_URL="$(PG_URL)" $(PYTEST) tests; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is unreachable and CI=true: failing"; exit 1; \
	else \
		echo "!! PostgreSQL at $(PG_URL) is unreachable: SKIPPING the PostgreSQL half of the suite !!"; \
	fi

# The browser tests write their screenshots to test-artifacts/run/ (ignored); this refreshes the README's images
# in test-artifacts/ on purpose: commit them when they should change.
screenshots: setup browser-deps
	SCREENSHOTS_DIR=test-artifacts $(PYTEST) -m browser tests

# schemathesis against /api/v1/openapi.json, long: FUZZ_EXAMPLES examples per operation and generation mode
# (80 x 2 modes x every operation is over 5,000 requests per database); prints the count and the server errors.
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-80} $(PYTEST) -m fuzz -s tests/api
	@if scripts/pg_ready "$(PG_URL)"; then \
		FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-80} TEST_DATABASE_URL="$(PG_URL)" $(PYTEST) -m fuzz -s tests/api; fi

# bench.run last: it runs bench.inbox (1k, 100k, 1M open tasks) and closes with the summary of issue 16's targets
bench: setup
	$(BIN)/python -m bench.stats --pg-url "$(PG_URL)"
	$(BIN)/python -m bench.run --pg-url "$(PG_URL)"

# ruff (lint and format, checked, never rewritten here) and mypy on casemgmt/ (configured in pyproject.toml)
lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .mypy_cache test-artifacts/run
