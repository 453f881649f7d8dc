# The two commands of the README: `make demo` and `make test`. Each sets itself up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
AS_OF ?= 2026-11-20
PERIODS ?= --period 2026-10 --period 2026-11
JOBS ?= 2

.PHONY: demo test setup lint bench clean lab

# The last step writes bytecode for the editable package, as pip does for an installed one: a
# report's kernel imports reportlib afresh for each report, and where PYTHONDONTWRITEBYTECODE
# is set it would compile it from source every time (0.05-0.1 s a report).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name reportlib --display-name "Python 3 (reportlib)" >/dev/null
	$(BIN)/python -m compileall -q reportlib
	touch $@

setup: $(VENV)/.installed

demo: setup
	@start=$$(date +%s); \
	$(BIN)/reportlib demo --sources sources --as-of $(AS_OF) && \
	$(BIN)/reportlib ingest sources && \
	$(BIN)/reportlib run --all-tenants $(PERIODS) --as-of $(AS_OF) --jobs $(JOBS) && \
	echo "demo reports: $$(pwd)/outputs/index.html ($$(( $$(date +%s) - start )) s)"

test: setup
	$(BIN)/python -m pytest

# JupyterLab in the project's environment, opened on the notebooks (the kernel "Python 3
# (reportlib)" is registered by setup).
lab: setup
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	$(BIN)/jupyter lab notebooks/

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf outputs sources warehouse.duckdb warehouse.duckdb.wal
