# The two commands of the README: `make run` (the demo) and `make test` (the whole suite).
# Everything else here is what those two need.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo-crm-2026

.PHONY: setup run test lint format messages

setup: $(VENV)/.installed node_modules/.installed

# Re-installs only when the dependency lists change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The demo: SQLite, demo data (made once), a login printed, the server on $(HOST):$(PORT),
## and beside it the scheduler, which with no REDIS_URL runs each job itself (reminders, emails).
run: setup
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_crm --if-empty --password "$(DEMO_PASSWORD)"
	@echo ""
	@echo "  The CRM is at http://$(HOST):$(PORT)/crm/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Log in as manager (or rep1 ... rep4) with the password: $(DEMO_PASSWORD)"
	@echo ""
	DEBUG=true $(VENV)/bin/celery -A crm_project beat -l warning & beat=$$!; \
	trap 'kill $$beat 2>/dev/null' EXIT; \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

## The whole test suite, with lint, on SQLite (DATABASE_URL=postgres://... for PostgreSQL).
test: setup lint
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Refresh the Arabic catalogue after adding strings, then compile it.
messages: setup
	DEBUG=true $(PY) manage.py makemessages -l ar --no-obsolete --add-location file --ignore=.venv --ignore=node_modules
	DEBUG=true $(PY) manage.py compilemessages -l ar --ignore=.venv --ignore=node_modules
