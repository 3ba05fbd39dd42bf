# The few targets a newcomer needs. `make run` and `make test` work on a fresh machine: they
# create .venv and install everything (torch pinned to its CPU build; see pyproject.toml).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export FRONTDESK_TEST_POSTGRES_URL ?= $(if $(CI),postgresql://postgres@127.0.0.1:5432/test,)

.PHONY: install run demo test lint typecheck unit format bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## the clinic app, offline, on its embedded defaults: an interactive chat (Ctrl-D to leave)
run: install
	$(BIN)/frontdesk chat --app clinic

## a short scripted conversation with the clinic app
demo: install
	$(BIN)/python examples/clinic_demo.py

## lint, strict types, the whole test suite
test: install lint typecheck unit

lint:
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/python -m pytest -q

format: install
	$(BIN)/ruff format src tests examples bench
	$(BIN)/ruff check --fix src tests examples bench

## the clinic router on its held-out set; CLINC150 (needs ../shared/data) is bench/router.py
bench: install
	$(BIN)/python bench/clinic_router.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
