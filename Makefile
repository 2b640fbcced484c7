# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: run demo test soak bench lint serve install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(STAMP)

install: $(STAMP)

## Ingest new documents from the UN Digital Library into the configured database (SQLite default).
run: $(STAMP)
	$(BIN)/unmig db upgrade
	$(BIN)/unmig ingest

## The same job on the bundled offline sample archive, into data/demo.db.
demo: $(STAMP)
	UNMIG_DATABASE_URL=$${UNMIG_DATABASE_URL:-sqlite:///data/demo.db} UNMIG_FILE_STORE=$${UNMIG_FILE_STORE:-data/demo-files} \
	  sh -c '$(BIN)/unmig db upgrade && $(BIN)/unmig ingest --source samples/archive --since 2000-01-01 && $(BIN)/unmig status'
	@echo "The command line is $(BIN)/unmig; the demo database is data/demo.db (run make demo again: nothing is added twice)."

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

soak: $(DEV_STAMP)
	$(BIN)/python -m pytest -q -m soak

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

serve: $(STAMP)
	bash scripts/serve.sh
