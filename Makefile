# popkit-ops: `make demo` runs the bundled demo with the scripted model (no API key); `make test` runs the tests.
# Both set up everything they need on a fresh machine: a virtual environment, the pinned Claude Code CLI
# (npm, into ~/.cache/popkit-ops when `claude` is not on PATH), bubblewrap (the trial sandbox) and, for the
# browser tests, Debian's chromium.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLAUDE_VERSION := 2.1.330
CACHE ?= $(if $(POPKIT_CACHE_DIR),$(POPKIT_CACHE_DIR),$(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/popkit-ops)
# The virtual environment and the run folders live outside the plugin tree, in DEV_DIR; the checkout holds the
# symlinks .venv and .popkit to them. `claude plugin install` copies a local marketplace's plugin folder into
# its cache as it is (it reads no .gitignore) but drops symlinks that lead out of the folder, so neither is
# copied. A .venv or .popkit that is already a real folder is kept (`make clean` removes it).
CHECKOUT_ID := $(shell printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)
DEV_DIR ?= $(CACHE)/checkouts/$(CHECKOUT_ID)
VENV_REAL := $(if $(filter .venv,$(VENV)),$(shell if [ -d .venv ] && [ ! -L .venv ]; then echo .venv; \
	else echo "$(DEV_DIR)/venv"; fi),$(VENV))
CLAUDE_BIN := $(CACHE)/claude-cli/node_modules/.bin/claude
PYTEST_ARGS ?=

.PHONY: demo test test-fast env links cli browser sandbox lint bench clean

$(VENV)/.installed: pyproject.toml | links
	$(PYTHON) -m venv "$(VENV_REAL)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,ray]'
	touch $@

env: $(VENV)/.installed

# .venv -> DEV_DIR/venv and .popkit -> DEV_DIR/popkit (see DEV_DIR above).
links:
	@for name in .venv .popkit; do \
	  if [ "$$name" = .venv ] && [ "$(VENV)" != .venv ]; then continue; fi; \
	  target="$(DEV_DIR)/$${name#.}"; \
	  if [ -L "$$name" ] || [ ! -e "$$name" ]; then mkdir -p "$$target" && ln -sfn "$$target" "$$name"; \
	  else echo "note: $$name is a folder inside the plugin tree: a marketplace install of this checkout copies it (make clean, then make env, moves it out)" >&2; fi; \
	done

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

# bubblewrap confines every trial (--sandbox auto). Without it trials run unconfined, with a loud warning.
sandbox:
	@if command -v bwrap >/dev/null 2>&1; then echo "bubblewrap: $$(command -v bwrap)"; \
	elif [ "$$(uname -s)" != Linux ]; then echo "no bubblewrap on $$(uname -s): trials run without a sandbox (see docs/sandbox.md)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	else echo "WARNING: bubblewrap missing: install it (apt-get install bubblewrap); trials would run unconfined"; fi

demo: env cli sandbox
	$(PY) -m popkit_bench demo --trials 3

test: env cli browser sandbox
	$(PY) -m pytest -q --durations=15 $(PYTEST_ARGS)

# The fast part: unit tests without the real CLI, browser, Ray or simulations (about a minute of CPU).
test-fast: env
	$(PY) -m pytest -q -m "not real_cli and not browser and not slow and not ray" tests/unit $(PYTEST_ARGS)

lint: env
	$(VENV)/bin/ruff check scripts shared tests benchmarks

bench: env cli sandbox
	$(PY) benchmarks/bench_overhead.py
	$(PY) benchmarks/bench_sandbox.py

clean:
	rm -rf .pytest_cache "$(DEV_DIR)"
	@for name in $(VENV) .popkit; do if [ -L "$$name" ]; then rm -f "$$name"; else rm -rf "$$name"; fi; done
