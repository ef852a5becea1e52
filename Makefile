# wagen: thin targets over the project's own scripts. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STACK  := deploy/local/stack
# `make run SANDBOX=0` runs against the real Meta and Genesys (credentials via the admin API).
SANDBOX ?= 1
# Connected tests fail (never skip) when a service is missing under `make test`.
PYTEST := WAGEN_REQUIRE_STACK=1 $(BIN)/python -m pytest

.PHONY: help venv stack-up stack-down stack-status cluster-up cluster-down browser migrate run test test-unit lint fmt typecheck deploy-check bench soak

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: wagen needs Python >= 3.11 ($(PYTHON) is older); set PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed ## Create .venv with wagen and its dev tools

stack-up: ## Start Kafka, PostgreSQL, Redis and OpenBao (installs what is missing)
	@$(STACK) up

stack-down: ## Stop exactly what stack-up started
	@$(STACK) down

stack-status: ## One line per local service
	@$(STACK) status

browser: ## Headless Chromium for the console's browser tests (apt-get when missing)
	@deploy/local/browser

cluster-up: ## Three Kafka brokers (KRaft) beside the stack; prints the settings to use them
	@$(STACK) cluster up
	@$(STACK) cluster env

cluster-down: ## Stop the three-broker cluster
	@$(STACK) cluster down

migrate: venv stack-up ## Apply database migrations and create the Kafka topics
	$(BIN)/wagen db migrate
	$(BIN)/wagen topics ensure

# The local stack's built-in dev secrets are accepted only in development (production refuses
# them at start): `make run` and `make bench` run on the local stack, so they say so.
run: migrate ## Local stack + simulators + gateway + worker, sandbox mode (Ctrl-C stops them)
	WAGEN_ENVIRONMENT=development WAGEN_SANDBOX=$(SANDBOX) $(BIN)/wagen run

# py-spy (the bench extra) profiles the hot path during `make bench`.
$(BIN)/.bench-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: migrate $(BIN)/.bench-installed ## Benchmarks into bench/results/ (BENCH_ARGS='--preset quick' for a short run)
	WAGEN_ENVIRONMENT=development $(BIN)/python -m bench $(BENCH_ARGS)

# Not in CI. The lead's figures: `make soak`; a short try: SOAK_ARGS='--minutes 3 --window 0.5'.
soak: venv stack-up ## 30 min of mixed load and faults on its own 3-broker cluster (SOAK_ARGS=...)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

lint: venv ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: venv ## Format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv ## mypy --strict on every package and the tests
	$(BIN)/mypy

test: venv stack-up browser lint typecheck ## Everything CI runs: stack, browser, lint, types, all tests
	@$(PYTEST); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

test-unit: venv ## Quick: tests that need no running services
	$(BIN)/python -m pytest -m 'not connected'

deploy-check: venv ## Static checks of Dockerfile, Compose and Kubernetes files (no Docker here)
	$(BIN)/python -m pytest tests/deploy --ignore=tests/deploy/test_stack_errors.py
