# One-command set-up: every target creates .venv and installs the package first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench schemas clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]' -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

## Headline job: compare the six named scenarios in scenarios/ (gap table + plots + run folder under runs/).
demo: $(STAMP)
	$(BIN)/aigap compare

## Lint and format check (ruff, configured in pyproject.toml) and the whole test suite (CI runs exactly this).
test: $(STAMP)
	$(BIN)/ruff check src tests model benchmarks
	$(BIN)/ruff format --check src tests model benchmarks setup.py
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_analysis.py
	$(BIN)/python benchmarks/bench_backends.py

## Regenerate the JSON Schemas of scenario, sweep, observation, priors and policy files (schemas/).
schemas: $(STAMP)
	for k in scenario sweep observations priors profile policy; do $(BIN)/aigap schema $$k -o schemas/$$k.schema.json; done

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
