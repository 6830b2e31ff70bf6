# Two commands for a newcomer: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint install install-test prepare messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Migrate, collect static files, import the seed documents once and create the demo accounts.
prepare: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py setup_demo

# gunicorn serves; beside it one task worker runs the background work (admin imports, emails).
# Its id is stable across restarts, so imports it was running when it stopped are resumed first.
WORKER_ID ?= $(shell hostname | cut -c1-40)-make-run
run: prepare
	$(BIN)/python manage.py resume_imports --restarted-worker "$(WORKER_ID)"
	$(BIN)/python manage.py db_worker --no-reload --worker-id "$(WORKER_ID)" & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config portal/gunicorn.conf.py portal.wsgi

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff as configured in pyproject.toml: lint, and the formatting every file already has.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Regenerate the translation catalogues after changing user-facing strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages --locale zh_Hans --locale en --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

# Time importing 2,000 generated xiaobot pages into a fresh SQLite database (the budget is 60 s),
# e.g. make bench-import BENCH_ARGS="--repeat 3" or BENCH_ARGS="--pages 200 --profile".
BENCH_ARGS ?=
.PHONY: bench-import bench
bench-import: install
	$(BIN)/python bench/import_xiaobot.py $(BENCH_ARGS)

# Time hostile and large inputs (Markdown, HTML nesting, parsers, images, a 40-page import) against their budgets.
.PHONY: bench-inputs
bench-inputs: install
	$(BIN)/python bench/inputs.py $(BENCH_ARGS)

# Pages under gunicorn as ratios to a bare Django view (wrk; 2,000 columns, ~20,000 articles on
# PostgreSQL and Redis when they answer), plus worker memory after 10,000 requests each.
# e.g. make bench BENCH_ARGS="--duration 20" or BENCH_ARGS="--reuse" to keep the loaded database.
bench: install
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)"; exit 2; }
	$(BIN)/python bench/web.py $(BENCH_ARGS)

# Time searches over about 20,000 imported articles on PostgreSQL (the budget is p95 <= 50 ms),
# e.g. make bench-search SEARCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_search
SEARCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_search
.PHONY: bench-search
bench-search: install
	DATABASE_URL=$(SEARCH_DATABASE_URL) $(BIN)/python bench/search.py $(BENCH_ARGS)
