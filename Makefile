# Two commands do the whole set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench fuzz system-deps

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m bot

# Debian's Chromium drives the browser tests, Dovecot plays the support mailbox and PostgreSQL
# is the second store; installed when we are root and they are missing.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! [ -x /usr/sbin/dovecot ] \
	    || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium dovecot-imapd postgresql >/dev/null; \
	  else \
	    echo "run 'sudo apt-get install chromium dovecot-imapd postgresql' (the tests need them)" >&2; \
	    exit 1; \
	  fi; \
	fi

# The whole suite twice: on SQLite (the default), then on a throwaway PostgreSQL that the tests
# start from Debian's package on a Unix socket and remove (tests/pg.py).
test: $(BIN)/.installed system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest
	HIB2B_TEST_ENGINE=postgresql $(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.replicas
	$(BIN)/python -m bench.commands
	$(BIN)/python -m bench.sla
	$(BIN)/python -m bench.loop_lag
	$(BIN)/python -m bench.ratelimit
	$(BIN)/python -m bench.export
	$(BIN)/python -m bench.scale --tickets 1000000

# The property suite (tests/test_properties.py) with twenty times the examples CI runs.
fuzz: $(BIN)/.installed
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -p no:cacheprovider tests/test_properties.py --timeout=3600
