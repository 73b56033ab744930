# Tradeport: `make run` starts it, `make test` checks it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run
VENV := .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/tradeport
APT_TEST_PACKAGES := chromium fonts-noto-cjk dovecot-imapd dovecot-pop3d gettext

# Django 6 needs Python >= 3.12: take the first suitable interpreter on PATH,
# then pyenv's, then the usual install locations.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[23]*/bin/python3 2>/dev/null | sort -rV) \
	/usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)

.PHONY: run test install install-test system-packages apt-install assets messages lint test-sqlite test-postgres \
	test-clock clean

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Tradeport needs Python 3.12 or newer. None was found on PATH or under pyenv."; \
	  echo "Install one (e.g. 'pyenv install 3.12' or Debian's python3.12) and run make again,"; \
	  echo "or name it: make run PYTHON=/path/to/python3.12"; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); fi
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# The test extras (pytest, Playwright, ruff, ...) on top: only `make test` needs them.
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed assets messages

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js (Debian: apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory apt-install PKGS=gettext
	cd src/tradeport && ../../$(PY) -m django compilemessages --settings=tradeport.settings -v 0

run: install
	$(VENV)/bin/tradeport run

# Debian packages the tests need: installed when missing (root, or sudo).
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd dovecot-pop3d"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt-install PKGS="$$missing"; fi

apt-install:
	@echo "Installing Debian packages: $(PKGS)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "Need root to install: $(PKGS)"; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PKGS) >/dev/null

install-test: system-packages install $(VENV)/.installed-test

lint: install $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(PY) -m django makemigrations --check --dry-run --settings=tradeport.settings

test: install-test lint test-sqlite test-postgres test-clock

test-sqlite:
	TRADEPORT_DATA_DIR=var/test-sqlite $(PY) -m pytest -n 2 $(PYTEST_ARGS)

# The suite once more with the clock moved 400 days ahead (tests/clock.py): a date written into a test
# or into the code fails here before it goes stale. It starts at 16:30 UTC, 00:30 of the next day in
# Shanghai, so a UTC date taken for the local one fails too. Browser and Dovecot tests keep real time.
test-clock:
	TRADEPORT_DATA_DIR=var/test-clock TRADEPORT_TEST_CLOCK_DAYS=400 TRADEPORT_TEST_CLOCK_UTC=16:30 \
	  $(PY) -m pytest -n 2 $(PYTEST_ARGS)

# On CI a missing PostgreSQL fails the run; elsewhere it is skipped with a notice.
test-postgres:
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)'.rsplit('/',1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  TRADEPORT_DATA_DIR=var/test-postgres TRADEPORT_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -n 2 $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then echo "PostgreSQL is not reachable at $(PG_TEST_URL); CI requires it."; exit 1; \
	else echo "NOTICE: PostgreSQL not reachable at $(PG_TEST_URL): PostgreSQL suite skipped."; fi

clean:
	rm -rf $(VENV) node_modules var
