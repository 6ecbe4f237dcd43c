# The two commands of the README (make demo, make test) and the pieces they stand on.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install codegen check lint test demo up clean

$(STAMP): pyproject.toml clients/python/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e clients/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

codegen: install
	$(BIN)/python -m tools.codegen

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m tools.codegen --check
	$(BIN)/python -m tools.codegen --lint
	$(BIN)/python -m tools.manifests --check

check: lint
	$(BIN)/python -m pytest -q

test: check

demo: install
	$(BIN)/oms demo

up: install
	$(BIN)/oms up

clean:
	rm -rf $(VENV) .oms
