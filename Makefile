# Giao việc — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# Where the server listens: loopback unless told (GIAOVIEC_BIND_ADDRESS=0.0.0.0 in a container).
ADDRESS ?= $(or $(GIAOVIEC_BIND_ADDRESS),127.0.0.1)
# pytest on two workers (the machine has two cores); a test file stays on one worker, so a
# browser test's server and its module fixtures start once. Files go out in collection order, which
# tests/conftest.py makes longest first (xdist would otherwise hand out the files with the most tests
# first, and the long browser and property files, with few tests each, ran alone at the end).
# `make test PYTEST_WORKERS=` runs serially.
PYTEST_WORKERS ?= -n 2 --dist loadfile --no-loadscope-reorder
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run start serve backup test test-postgres lint typecheck unit e2e screenshots hunt bench migrate seed system-deps test-system-deps clean

# --- environments -------------------------------------------------------------------
system-deps:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || scripts/apt-install.sh python3-venv

$(VENV)/.runtime: requirements.txt | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

test-system-deps:
	@scripts/apt-install.sh chromium postgresql nginx libreoffice-writer-nogui

# --- the app ------------------------------------------------------------------------
migrate: $(VENV)/.runtime
	$(BIN)/python manage.py migrate

seed: migrate
	$(BIN)/python manage.py seed-demo

# The demo: demo accounts (password in the README) and demo tasks. Never for real use.
run: seed
	$(BIN)/streamlit run asgi.py --server.port $(PORT) --server.address $(ADDRESS)

# Going live, one process (SQLite or PostgreSQL): migrate, refuse the demo accounts, no demo data.
start: $(VENV)/.runtime
	$(BIN)/python manage.py serve --port $(PORT) --address $(ADDRESS)

# Production layout: PROCESSES app processes behind nginx on PORT (PostgreSQL only), docs/deploy.md;
# migrates and refuses the demo accounts too. Both: README "Going live".
# DATABASE_URL=postgresql+psycopg://user:pw@127.0.0.1:5432/giaoviec make serve PROCESSES=3
PROCESSES ?= 2
serve: $(VENV)/.runtime
	$(BIN)/python scripts/serve.py --processes $(PROCESSES) --port $(PORT) --host $(ADDRESS)

# A dated, private copy of the database in GIAOVIEC_BACKUP_DIR (data/backups), the newest 14 kept.
backup: $(VENV)/.runtime
	$(BIN)/python manage.py backup

# --- checks -------------------------------------------------------------------------
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

typecheck: $(VENV)/.dev
	$(BIN)/mypy .

unit: $(VENV)/.dev
	$(BIN)/pytest -q $(PYTEST_WORKERS) -m "not e2e"

e2e: $(VENV)/.dev test-system-deps
	GIAOVIEC_E2E_EVERY_CASE=1 $(BIN)/pytest -q -m e2e

# The browser tests again, saving the pictures of docs/screenshots/ as they go (`make test` takes none).
screenshots: $(VENV)/.dev test-system-deps
	GIAOVIEC_SCREENSHOTS=1 GIAOVIEC_E2E_EVERY_CASE=1 $(BIN)/pytest -q $(PYTEST_WORKERS) -m e2e

# The PostgreSQL pass (one worker: it mostly waits on its server) and mypy (one process, about a
# minute of CPU from cold) run in the background while the SQLite pass runs on two workers, whose
# browser tests leave a third of the two cores idle as they wait on their servers and chromium.
# Their output is printed when the SQLite pass is over; every verdict counts.
PG_WORKERS ?= -n 1
test: $(VENV)/.dev test-system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	@( $(BIN)/mypy . > .mypy-test.log 2>&1; echo $$? > .mypy-test.rc ) & \
	( mkdir -p /tmp/giaoviec-pg-pass; PYTEST_DEBUG_TEMPROOT=/tmp/giaoviec-pg-pass GIAOVIEC_TEST_BACKEND=postgresql $(BIN)/pytest -q -p no:cacheprovider $(PG_WORKERS) tests/services $(NOT_ON_POSTGRES) \
		> .pg-test.log 2>&1; echo $$? > .pg-test.rc ) & \
	$(BIN)/pytest -q $(PYTEST_WORKERS); rc=$$?; wait; \
	echo "GIAOVIEC_TEST_BACKEND=postgresql pytest tests/services"; cat .pg-test.log; \
	echo "mypy ."; cat .mypy-test.log; \
	test $$rc -eq 0 && test "$$(cat .pg-test.rc)" -eq 0 && test "$$(cat .mypy-test.rc)" -eq 0

# Service tests of files and settings, with nothing the database decides: run on SQLite only.
NOT_ON_POSTGRES = --ignore=tests/services/test_config_validation.py --ignore=tests/services/test_login_config.py \
	--ignore=tests/services/test_monitor_config.py --ignore=tests/services/test_plugins.py

# Random examples, ten times as many state-machine lives: looks for failures the fixed set misses;
# then every role in both browser languages of Vietnamese only (make test walks vi-VN as the tracker).
hunt: $(VENV)/.dev test-system-deps
	GIAOVIEC_HYPOTHESIS_PROFILE=hunt GIAOVIEC_SM_EXAMPLES=300 $(BIN)/pytest -q -s tests/properties tests/services/test_classify_properties.py
	GIAOVIEC_E2E_EVERY_CASE=1 $(BIN)/pytest -q tests/e2e/test_vietnamese_only.py

# The service suite on a throwaway PostgreSQL server (started and stopped by the tests).
test-postgres: $(VENV)/.dev test-system-deps
	GIAOVIEC_TEST_BACKEND=postgresql $(BIN)/pytest -q $(PYTEST_WORKERS) tests/services

# Read paths next to their floors, plans, websocket load: SQLite then PostgreSQL, 20 000 and
# 100 000 tasks (~20 min); figures also in .bench/bench-results.json. `make bench BENCH_ARGS=--quick`.
# Then the task import of Quản trị › Nhập dữ liệu: 10 000 rows, half with a reply (IMPORT_ARGS).
# Then the public page under bursts of 50 anonymous GETs beside a logged-in official (PUBLIC_BENCH_ARGS).
BENCH_ARGS ?=
IMPORT_ARGS ?= --rows 10000 --history 0.5
PUBLIC_BENCH_ARGS ?= --tasks 20000 --burst 50
bench: $(VENV)/.dev test-system-deps
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)
	$(BIN)/python scripts/import_bench.py $(IMPORT_ARGS)
	$(BIN)/python scripts/public_bench.py $(PUBLIC_BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
