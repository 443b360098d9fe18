# One-command set-up: `make run` and `make test` create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-dates lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/meetup-bot run

lint: $(STAMP)
	$(BIN)/ruff check bot cogs tests benchmarks
	$(BIN)/ruff format --check bot cogs tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

# the suite again with the machine's clock moved (a year, three years, both DST changes); needs libfaketime
test-dates: $(STAMP)
	$(BIN)/python tests/run_on_other_dates.py

bench: $(STAMP)
	$(BIN)/python benchmarks/import_events.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
