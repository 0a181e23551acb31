# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck contracts unit emulator migrate bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/townsquare run

migrate: $(STAMP)
	$(BIN)/townsquare migrate

emulator: $(STAMP)
	$(BIN)/townsquare emulator

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

contracts: $(DEV_STAMP)
	$(BIN)/lint-imports

unit: $(DEV_STAMP)
	$(BIN)/pytest -n 2

test: lint typecheck contracts unit

bench: $(DEV_STAMP)
	$(BIN)/python bench/updates.py
	$(BIN)/python bench/broadcast.py
	$(BIN)/python bench/surveys.py
	$(BIN)/python bench/polls.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Extract every translatable text and merge it into each catalog (then translate the new entries).
KEYWORDS := -k t -k N_ -k plural:1,2
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
		--omit-header -o flows/locales/messages.pot bot flows admin
	for lang in $$(ls flows/locales | grep -v '\.pot$$'); do \
		$(BIN)/pybabel update --no-fuzzy-matching --omit-header --ignore-obsolete \
			-i flows/locales/messages.pot -d flows/locales -l $$lang; \
	done
