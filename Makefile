# The README's two commands: `make run` and `make test`. Both set up a fresh clone first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
export PYTHON
# Never let uv fetch a Python of its own: this machine's Python 3.11+ is the one we use.
export UV_PYTHON_DOWNLOADS := never
UV = $(shell scripts/ensure-uv)
BIN := .venv/bin
MANAGE := $(BIN)/python manage.py
# Where `make run` serves the portal (`make run PORT=8150`, `HOST=0.0.0.0 make run`), and where
# `make simulator` serves the simulator on its own. Passed to manage.py, whose settings give the
# portal that address (PORTAL_BASE_URL's default): the NHS login redirect URI and the built-in
# simulator's issuer follow it.
HOST ?= 127.0.0.1
PORT ?= 8000
SIMULATOR_PORT ?= 8001
# runserver writes an IPv6 address in brackets: [::1]:8000.
LISTEN_HOST = $(if $(findstring :,$(HOST)),[$(patsubst [%],%,$(HOST))],$(HOST))

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-17s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: setup migrate ## Set up and start the portal on http://127.0.0.1:8000, or HOST and PORT (SQLite, built-in NHS login)
	$(MANAGE) local_setup
	$(MANAGE) runserver $(LISTEN_HOST):$(PORT)

# With `make run` going (same HOST and PORT), in another terminal: the IM1 loop, step by step.
.PHONY: im1-demo
im1-demo: setup ## Watch NHS login, the GP system and an IM1 app work together, against `make run`
	$(BIN)/python scripts/im1_partner_demo.py --base-url http://$(LISTEN_HOST):$(PORT)

# Its issuer follows its own address, whatever .env says: http://127.0.0.1:8001/nhs-login-simulator.
.PHONY: simulator
simulator: export HOST := $(HOST)
simulator: override export PORT := $(SIMULATOR_PORT)
simulator: override export PORTAL_BASE_URL :=
simulator: override export NHS_LOGIN_SIMULATOR_ISSUER :=
simulator: setup migrate ## Run the NHS login simulator on its own, on port 8001 (SIMULATOR_PORT)
	$(MANAGE) runserver $(LISTEN_HOST):$(SIMULATOR_PORT)

# Every check, then the whole suite in two parts, to keep it under ten minutes on two cores.
# The checks are separate programs, run two at a time (their output kept together per check).
# Then everything but the browser journeys in TEST_WORKERS processes (pytest-xdist; each has its
# own test database), and the browser journeys in BROWSER_TEST_WORKERS processes, each with its
# own test database, live server and Chromium. A journey spends most of its time waiting (for a
# page, a redirect, a session's timer), so there are more of those processes than cores, and one
# that finishes its share takes journeys from the others' (--dist worksteal). Bytecode is written
# even where PYTHONDONTWRITEBYTECODE is set: each pytest process, and each `make run` and app
# server a test starts, would otherwise compile the project, its libraries and pytest's
# rewritten tests afresh.
TEST_WORKERS ?= 2
BROWSER_TEST_WORKERS ?= 3
CHECKS := lint import-contracts secrets-check typecheck migrations-check deploy-check
.PHONY: test
test: export PYTHONDONTWRITEBYTECODE :=
test: setup chromium ## Set up and run every check and the whole test suite
	$(MAKE) --no-print-directory -j2 --output-sync=target $(CHECKS)
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not browser"
	$(BIN)/pytest -n $(BROWSER_TEST_WORKERS) --dist worksteal -m browser

# The unit and service tests, in parallel, without the browser journeys, with coverage: for the
# edit-test loop. `make test` is what lands.
COVERAGE_FLOOR ?= 92
.PHONY: test-fast
test-fast: setup ## Run the tests but the browser journeys, in parallel, with coverage (floor: COVERAGE_FLOOR %)
	$(BIN)/pytest -n auto -m "not browser" -p no:cacheprovider \
		--cov --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

.PHONY: setup
setup: .venv/.synced static ## Install Python and npm packages and build static assets (fast when done)

.venv/.synced: pyproject.toml uv.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is needed as $(PYTHON)." >&2; exit 1; }
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed: install Node.js 18 or newer." >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

static/vendor/nhsuk-frontend/VERSION: node_modules/.package-lock.json scripts/build-static.mjs
	node scripts/build-static.mjs

.PHONY: static
static: static/vendor/nhsuk-frontend/VERSION ## Copy the NHS.UK frontend build into static/vendor

.PHONY: migrate
migrate: setup ## Apply database migrations to the local database
	$(MANAGE) migrate --no-input

.PHONY: chromium
chromium: ## Make sure Chromium is there for the browser tests (installs it as root)
	@scripts/ensure-chromium

.PHONY: lint
lint: setup import-contracts ## ruff lint and format check, and the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: import-contracts
import-contracts: setup ## Check the boundaries between the apps (import-linter; contracts in pyproject.toml)
	$(BIN)/lint-imports

.PHONY: format
format: setup ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: secrets-check
secrets-check: setup ## Scan every tracked file for secrets (detect-secrets; known test values in .secrets.baseline)
	$(BIN)/python scripts/secrets_check.py

.PHONY: typecheck
typecheck: setup ## mypy, strict, with django-stubs
	$(BIN)/mypy .

.PHONY: migrations-check
migrations-check: setup ## Fail if a model change has no migration
	DJANGO_SETTINGS_MODULE=citizen_portal.settings.test $(MANAGE) makemigrations --check --dry-run

.PHONY: deploy-check
deploy-check: setup ## manage.py check --deploy on production settings with dummy values
	DJANGO_SETTINGS_MODULE=citizen_portal.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=portal.example.org \
	DATABASE_URL=postgres://deploy-check@127.0.0.1:5432/deploy_check \
	PORTAL_BASE_URL=https://portal.example.org \
	NHS_LOGIN_ISSUER=https://auth.sandpit.signin.nhs.uk \
	NHS_LOGIN_CLIENT_ID=deploy-check \
	NHS_LOGIN_PRIVATE_KEY_PATH=/nonexistent/deploy-check.pem \
	LINKAGE_ENCRYPTION_KEYS="$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	SERVICE_ORGANISATION_NAME=deploy-check \
	SERVICE_CONTACT_EMAIL=deploy-check@example.org \
	$(MANAGE) check --deploy --fail-level WARNING

# compose.yaml's stack built and run on this machine's container engine (docker compose or
# Compose v1's docker-compose), each promise of docs/operations.md proved, then torn down.
# Minutes, not seconds: not part of `make test`.
.PHONY: stack-check
stack-check: setup chromium ## Build and run the compose stack: scale out, stop a server, down/up, backup and restore
	$(BIN)/python scripts/stack_check.py $(STACK_CHECK_ARGS)

.PHONY: mutation
mutation: setup ## Mutation testing of the validation rules, a score per module (slow: 20 to 30 min on 2 cores)
	$(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

.PHONY: bench
bench: setup ## Measure the API and sign-in beside a baseline (PostgreSQL and Redis on this machine)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove what setup built (keeps data/, your local database and keys)
	rm -rf .venv node_modules static/vendor .tools .mypy_cache .ruff_cache .pytest_cache .import_linter_cache mutants
