# PhantomNet: the commands the README gives.
#   make run    set everything up (venv, dashboard, migrations) and start PhantomNet on SQLite
#   make test   system tools, lint, then the whole suite (Python + dashboard)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB_STAMP := src/phantomnet/dashboard/static/.built
PYTEST_ARGS ?=

.PHONY: run test test-py test-web bench lint install web clean system-deps

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

web: $(WEB_STAMP)

$(WEB_STAMP): $(shell find web -path web/node_modules -prune -o -type f -print 2>/dev/null)
	@if [ -f web/package.json ]; then \
	  cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	  touch ../$(WEB_STAMP); \
	else echo "no dashboard source (web/) yet"; fi

run: install web
	$(BIN)/phantomnet migrate
	exec $(BIN)/phantomnet up

# Installs missing test tools when it can (root, apt); otherwise one line says what is missing.
system-deps:
	@scripts/install-system-deps.sh

test: system-deps lint test-web test-py

test-py: install web
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-web: web
	@if [ -f web/package.json ]; then cd web && npm test; fi

bench: install web
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy src
	$(BIN)/lint-imports
	@if [ -f web/package.json ] && node -e 'process.exit(require("./web/package.json").scripts?.lint ? 0 : 1)'; then \
	  cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run lint; \
	else echo "web: no lint script yet"; fi

clean:
	rm -rf $(VENV) web/node_modules src/phantomnet/dashboard/static
