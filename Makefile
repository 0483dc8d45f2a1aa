# popkit-ops: `make demo` runs the bundled demo with the scripted model (no API key); `make test` runs the tests.
# Both set up everything they need on a fresh machine: a virtual environment, the pinned Claude Code CLI
# (npm, into ~/.cache/popkit-ops when `claude` is not on PATH) and, for the browser tests, Debian's chromium.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLAUDE_VERSION := 2.1.330
CACHE ?= $(if $(POPKIT_CACHE_DIR),$(POPKIT_CACHE_DIR),$(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/popkit-ops)
CLAUDE_BIN := $(CACHE)/claude-cli/node_modules/.bin/claude
PYTEST_ARGS ?=

.PHONY: demo test env cli browser lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,ray]'
	touch $@

env: $(VENV)/.installed

# The pinned Claude Code CLI. Installed into the cache unless POPKIT_CLAUDE_BIN points elsewhere.
cli:
	@if [ -n "$$POPKIT_CLAUDE_BIN" ]; then echo "using POPKIT_CLAUDE_BIN=$$POPKIT_CLAUDE_BIN"; \
	elif [ -x "$(CLAUDE_BIN)" ] && "$(CLAUDE_BIN)" --version | grep -q "^$(CLAUDE_VERSION) "; then \
	  echo "Claude Code $(CLAUDE_VERSION): $(CLAUDE_BIN)"; \
	else \
	  echo "installing @anthropic-ai/claude-code@$(CLAUDE_VERSION) into $(CACHE)/claude-cli ..."; \
	  mkdir -p "$(CACHE)/claude-cli" && npm install --silent --no-audit --no-fund \
	    --prefix "$(CACHE)/claude-cli" "@anthropic-ai/claude-code@$(CLAUDE_VERSION)" && \
	  "$(CLAUDE_BIN)" --version; \
	fi

# Debian's chromium for the browser tests (needs root / apt; skipped with a message otherwise).
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium xvfb xterm >/dev/null; \
	else echo "chromium missing: install Debian's chromium (apt-get install chromium xvfb xterm)"; exit 1; fi

demo: env cli
	$(PY) -m popkit_bench demo --trials 3

test: env cli browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: env
	$(VENV)/bin/ruff check scripts shared tests benchmarks

bench: env cli
	$(PY) benchmarks/bench_overhead.py

clean:
	rm -rf $(VENV) .popkit .pytest_cache
