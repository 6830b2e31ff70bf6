# Two commands for a newcomer: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-test prepare messages

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

run: prepare
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config portal/gunicorn.conf.py portal.wsgi

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Regenerate the translation catalogues after changing user-facing strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages --locale zh_Hans --locale en --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

# Time importing 2,000 generated xiaobot pages into a fresh SQLite database (the budget is 60 s),
# e.g. make bench-import BENCH_ARGS="--repeat 3" or BENCH_ARGS="--pages 200 --profile".
BENCH_ARGS ?=
.PHONY: bench-import
bench-import: install
	$(BIN)/python bench/import_xiaobot.py $(BENCH_ARGS)
