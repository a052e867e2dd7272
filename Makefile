# The verbs a newcomer looks for. Every install step lives here, so a fresh machine
# with Python 3.11, make and apt needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Only this machine can reach the dashboard unless told otherwise: make run HOST=0.0.0.0
HOST ?= 127.0.0.1
# make cluster: this many replicas behind HAProxy (default: one per core)
REPLICAS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test lint format data bench bench-faults bench-cluster cluster system-deps clean

$(BIN)/activate:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## run: set up and serve the dashboard and its data API (/api/v1/) on the bundled data, on one port
run: $(VENV)/.installed
	$(BIN)/streamlit run server.py --server.address $(HOST) --server.port $(PORT) --browser.gatherUsageStats false

## cluster: REPLICAS identical replicas behind HAProxy on HOST:PORT (cookie stickiness, health checks); Ctrl-C stops all
cluster: $(VENV)/.installed
	@bash scripts/install_system_deps.sh haproxy
	$(BIN)/python -m redengine.ops.cluster --replicas $(REPLICAS) --port $(PORT) --host $(HOST)

## test: set up (Python packages, Chromium, a CJK font) and run every test
test: $(VENV)/.dev-installed system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest

## system-deps: Debian's Chromium and a CJK font for the browser tests, HAProxy for the cluster, if missing
system-deps:
	@bash scripts/install_system_deps.sh

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## data: rebuild the Parquet tables from data/curation/
data: $(VENV)/.installed
	$(BIN)/python -m redengine build-data

## bench: the 11.2 M-fact benchmark and load test, then shared links' first paint (not part of make test)
bench: $(VENV)/.dev-installed system-deps
	$(BIN)/python -m redengine.web.static_assets
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/first_paint.py

## bench-faults: 200 bit flips, 20 interrupted adds and the 1 M-row upload on a copy of data/ (not part of make test)
bench-faults: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/faults.py

## bench-cluster: 100 websocket sessions through HAProxy against 1 replica, then REPLICAS, and a failover (not part of make test)
bench-cluster: $(VENV)/.dev-installed system-deps
	$(BIN)/python benchmarks/cluster.py --replicas $(REPLICAS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
