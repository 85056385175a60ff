# wacast — every target installs what it needs first.
SHELL := /bin/bash
# Python 3.12 (what Lambda runs) when it really runs, else 3.11. Probed with `-c ''`: a
# pyenv shim for a version that is not installed is on PATH but fails.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c '' >/dev/null 2>&1 && command -v $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_WORKERS ?= auto
STAGE ?= dev
CONTEXT ?=

.PHONY: install run test lint format typecheck bench synth clean web web-deps web-test openwa

# The SPA (web/): npm ci whenever package-lock.json changes; API types come from
# the backend's OpenAPI document, so a route or model change the SPA does not
# follow fails `tsc` in its build.
WEB_STAMP := web/node_modules/.installed-$(shell cat web/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,agent]'
	@rm -f $(VENV)/.installed-* && touch $@

# The pinned OpenWA CLI (no browser download) in .cache/: the contract tests read its source
# and the real-CLI test runs it with the system Chromium. A no-op once installed.
openwa:
	bash scripts/openwa_install.sh >/dev/null

web-deps: $(WEB_STAMP)

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@rm -f web/node_modules/.installed-* && touch $@

web: install web-deps
	$(BIN)/python scripts/openapi_dump.py > web/src/api/openapi.json.tmp
	mv web/src/api/openapi.json.tmp web/src/api/openapi.json
	cd web && npm run build

web-test: web-deps
	cd web && npm test

run: install web
	PYTHONUNBUFFERED=1 $(BIN)/python -m infra.local

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install openwa lint typecheck web-test web
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

bench: install
	$(BIN)/python -m bench

# CloudFormation for a stage, with no AWS credentials and no CDK CLI; checked by cfn-lint.
synth: install
	$(BIN)/python -m infra.aws -c stage=$(STAGE) $(addprefix -c ,$(CONTEXT)) -o cdk.out/$(STAGE)
	$(BIN)/cfn-lint cdk.out/$(STAGE)/$(STAGE).template.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist
