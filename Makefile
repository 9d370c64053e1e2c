# Every command of the project. `make` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv from PATH, else a private copy installed from PyPI into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --frozen
SIZE ?= 1024

.PHONY: help install test lint format dev dev-down dev-logs dev-status bench

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-11s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

install: $(UV) ## Create .venv with every service and tool, from uv.lock
	$(UV) sync --frozen

test: install ## Run every test against real Postgres, SeaweedFS and FileAPI on 127.0.0.1
	$(RUN) pytest

lint: install ## ruff (lint + format check) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: install ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

dev: install ## Start the stack on 127.0.0.1 in the background; state in .dev/
	$(RUN) python -m devstack up

dev-down: install ## Stop the stack started by `make dev`
	$(RUN) python -m devstack down

dev-logs: install ## Follow the stack's logs
	$(RUN) python -m devstack logs

dev-status: install ## Show which services of the stack run
	$(RUN) python -m devstack status

bench: install ## Time a SIZE MiB film (default 1024) through FileAPI and print its peak memory
	$(RUN) python file_api/benchmarks/transfer.py --size $(SIZE)
