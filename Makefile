# Every command of the project. `make` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv from PATH, else a private copy installed from PyPI into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --frozen
SIZE ?= 1024

.PHONY: help system-packages docker-packages install test e2e screenshots smoke lint format messages up down logs ps superuser manage dev dev-down dev-logs dev-status \
	dev-manage reconcile bench bench-transfer bench-upload bench-download bench-seek bench-viewers bench-aborts bench-admin compose-up compose-test compose-down compose bare-test

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

# What a bare Debian 12 machine lacks (nginx, Postgres, Chromium...): installed as root, through sudo, or
# named in the one command to run as root. The Docker engine only for the Compose targets (compose-*).
system-packages:
	@scripts/install-system-packages

docker-packages:
	@scripts/install-system-packages --docker

install: system-packages $(UV) ## Install missing system packages; .venv from uv.lock; translations; Django's storage tests
	$(UV) sync --frozen
	$(RUN) --directory admin_panel django-admin compilemessages --verbosity 0
	$(RUN) python tests/storage_contract/django_tests.py

# Each suite runs in a pytest process of its own: the services' suites are all packages named `tests`.
SUITES ?= devstack/tests file_api/tests admin_panel/tests tests/storage_contract tests/stack

test: install ## Every test: the suites against real Postgres, SeaweedFS, FileAPI, the admin, nginx; then e2e
	@for suite in $(SUITES); do echo "== $$suite"; $(RUN) pytest $$suite || exit 1; done
	$(MAKE) e2e

e2e: install ## The browser suite through nginx against the stack without Docker, for every storage backend
	$(RUN) python tests/e2e/run_native.py $(BACKENDS)

# The README's and the tutorials' pictures are taken by the e2e suite, never drawn by hand.
screenshots: install ## Retake the documentation's screenshots (docs/screenshots/) with the e2e suite (FileAPI backend)
	E2E_DOCS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(RUN) python tests/e2e/run_native.py file_api

smoke: .env install ## The browser suite against the running Compose stack of `make up`, settings from .env
	$(RUN) python tests/e2e/suite.py --env-file .env --label smoke -m "not compose"

lint: install ## ruff, mypy, detect-secrets, nginx -t + gixy, Compose config + hadolint (no Docker engine needed)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) python scripts/check_secrets.py
	$(RUN) python -m devstack check-nginx
	$(RUN) scripts/check-docker

format: install ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# --- The Docker Compose stack (needs a Docker engine) ---
COMPOSE := docker compose

# Loud on purpose: the copy's secrets are public, fine only on a developer's machine (APP_ENV=development).
.env:
	cp .env.example .env
	@printf '%s\n' "$$(printf '!%.0s' {1..100})" \
		"Created .env from .env.example, with APP_ENV=development and PUBLIC secrets (passwords, tokens, keys)." \
		"Fine on this machine only. Anywhere else: set APP_ENV=production and new secrets in .env." \
		"Edit .env, not .env.example, to change ports, credentials and FILE_STORAGE_BACKEND." \
		"$$(printf '!%.0s' {1..100})" >&2

# Pull first: an image that cannot be had is named, with its registry and the ways out, before anything starts.
up: .env ## Pull, build and start the Compose stack (S3_SERVER from .env), wait until healthy; then open http://127.0.0.1:8000/admin/
	python3 scripts/compose_images.py pull
	$(COMPOSE) up --build --detach --wait

down: ## Stop the Compose stack (its volumes stay; `docker compose down --volumes` deletes them)
	$(COMPOSE) down

logs: ## Follow the Compose stack's logs
	$(COMPOSE) logs --follow

ps: ## Show the Compose stack's services and their health
	$(COMPOSE) ps

superuser: ## Create one more superuser in the Compose stack (asks for the name and password)
	$(COMPOSE) exec admin_panel python manage.py createsuperuser

manage: ## Run manage.py in the Compose stack: make manage ARGS="check_storage"
	$(COMPOSE) exec admin_panel python manage.py $(ARGS)

.PHONY: demo
demo: ## Add the demo catalogue to the Compose stack's admin (only what is missing; edits stay)
	$(COMPOSE) exec admin_panel python manage.py load_demo_data

# --- The Compose stack in the Docker sandbox: an engine of its own, stand-in base images (root only) ---
compose-up: docker-packages install ## Docker sandbox: start its engine, build every image, run the Compose stack (.env.example)
	$(RUN) python docker-sandbox/sandbox.py up

compose-test: docker-packages install ## Docker sandbox: build, run the Compose stack, the browser suite per backend, restarts; remove
	$(RUN) python docker-sandbox/sandbox.py test

compose-down: docker-packages install ## Docker sandbox: remove the stack with its volumes, stop the engine
	$(RUN) python docker-sandbox/sandbox.py down

# The README's commands where nothing is installed: what a green run on a developer's machine can hide.
bare-test: docker-packages install ## Docker sandbox: a bare Debian 12 container (python3, git, make) runs make install, make dev, make e2e
	$(RUN) python docker-sandbox/sandbox.py bare

compose: install ## Docker sandbox: docker compose on its stack: make compose ARGS="logs nginx"
	$(RUN) python docker-sandbox/sandbox.py compose $(ARGS)

# --- Development ---
messages: install ## Collect the admin's new strings into its Russian catalogue (then translate them)
	$(RUN) --directory admin_panel django-admin makemessages -l ru --add-location file \
		--ignore "benchmarks/*" --ignore "tests/*"

dev: .env install ## Start the stack on 127.0.0.1 in the background; state in .dev/
	$(RUN) python -m devstack up

dev-down: install ## Stop the stack started by `make dev`
	$(RUN) python -m devstack down

dev-logs: install ## Follow the stack's logs
	$(RUN) python -m devstack logs

dev-status: install ## Show which services of the stack run
	$(RUN) python -m devstack status

dev-manage: install ## Run the admin's manage.py on the `make dev` stack: make dev-manage ARGS="check_storage"
	$(RUN) python -m devstack manage $(ARGS)

reconcile: install ## FileAPI's rows, objects and S3 uploads compared on the `make dev` stack: make reconcile ARGS="--fix"
	$(RUN) python -m devstack reconcile $(ARGS)

# Every benchmark, --repeat 3 runs each, written to docs/benchmarks.md. SIZE only when given (make bench
# SIZE=256): the runner's own default is 1024 MiB, 64 with BENCH_QUICK=1. ARGS: e.g. --only upload --repeat 5.
bench: install ## Every benchmark, 3 runs each, into docs/benchmarks.md (BENCH_QUICK=1: 1 small run, < 3 min)
	$(RUN) python -m devstack.bench $(if $(filter-out file,$(origin SIZE)),--size $(SIZE)) $(ARGS)

bench-transfer: install ## Time a SIZE MiB film (default 1024) through FileAPI and print its peak memory
	$(RUN) python file_api/benchmarks/transfer.py --size $(SIZE)

bench-upload: install ## Upload a SIZE MiB film through FileAPI and straight to S3 with boto3, 3 times each; their ratio
	$(RUN) python file_api/benchmarks/upload_throughput.py --size $(SIZE)

bench-download: install ## Download a SIZE MiB film through nginx, from FileAPI and with boto3, 3 times each; ratios
	$(RUN) python file_api/benchmarks/download_throughput.py --size $(SIZE)

bench-seek: install ## 500 random 64 KiB ranges of a SIZE MiB film through nginx on FileAPI's link vs boto3: p50/p99
	$(RUN) python file_api/benchmarks/range_seek.py --size $(SIZE)

bench-viewers: install ## 300 viewers at 20 KB/s while editors read metadata, upload and check health: p99 and memory
	$(RUN) python file_api/benchmarks/slow_viewers.py

bench-aborts: install ## 200 uploads cut off, over the limit or truncated: FileAPI's threads and memory after them
	$(RUN) python file_api/benchmarks/aborted_uploads.py

bench-admin: install ## A SIZE MiB film through the upload widget in Chromium per backend, vs boto3; admin memory, changelist times
	$(RUN) python admin_panel/benchmarks/admin_upload.py --size $(SIZE) $(ARGS)
