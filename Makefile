# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HASH   := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
RUN_STAMP  := $(VENV)/.run-$(HASH)
DEV_STAMP  := $(VENV)/.dev-$(HASH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint format typecheck bench migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(RUN_STAMP)

## make run: set up, migrate SQLite under var/, load demo data, serve http://127.0.0.1:8000 + worker
run: $(RUN_STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py devserver 127.0.0.1:8000

## make test: lint, then the whole suite on SQLite and again on PostgreSQL
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	bash bin/ensure-chromium
	bash bin/test-all

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy --strict switchboard/sla/business_time.py switchboard/oncall/rotation.py \
		switchboard/core/filenames.py switchboard/core/tokens.py \
		switchboard/tickets/search_query.py switchboard/notify/rules/conditions.py \
		switchboard/notify/mail/mailparse.py switchboard/notify/outbox/message_ids.py \
		switchboard/notify/rules/validation.py switchboard/web/charts.py switchboard/web/presenters.py \
		switchboard/crm/ids.py switchboard/crm/mapping.py \
		switchboard/calls/slots.py switchboard/calls/suggest.py switchboard/calls/ics.py

migrate: $(RUN_STAMP)
	$(BIN)/python manage.py migrate

seed: $(RUN_STAMP)
	$(BIN)/python manage.py seed_demo

clean:
	rm -rf $(VENV) var/*.sqlite3* var/test-*.sqlite3*
