# One-command set-up: `make run` and `make test` create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# what is installed: the runtime only (`make run`), or with the dev tools and the PostgreSQL driver (`make test`)
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-dates lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# the dev install includes the runtime: `make run` afterwards installs nothing
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(RUN_STAMP) $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/meetup-bot run

lint: $(DEV_STAMP)
	$(BIN)/ruff check bot cogs tests benchmarks
	$(BIN)/ruff format --check bot cogs tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

test: $(DEV_STAMP) lint typecheck
	$(BIN)/python -m pytest -q

# the suite again with the machine's clock moved (a year, three years, both DST changes); needs libfaketime
test-dates: $(DEV_STAMP)
	$(BIN)/python tests/run_on_other_dates.py

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/import_events.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
