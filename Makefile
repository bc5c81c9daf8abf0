# Care365: `make demo` runs a demo county; `make test` runs every test. Nothing but python3 and
# make is needed on a fresh machine (Chromium for the browser tests is installed when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export CARE365_DEMO ?= 1

.PHONY: demo test lint types migrations-check check browser report-tools clean bench messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP) report-tools
	PORT=$(PORT) $(BIN)/care365 demo

browser:
	@scripts/ensure-chromium

# The Chinese font report PDFs embed, and poppler-utils for the tests that read them back.
report-tools:
	@scripts/ensure-report-tools

# The suite runs in as many processes as there are cores (at most 4), each with a test database
# of its own; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto

test: $(STAMP) browser report-tools
	$(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS) --maxprocesses=4 --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

check: lint types migrations-check test

bench: $(STAMP)
	$(BIN)/python bench/children_list.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Refresh the Chinese catalogue after changing strings (needs gettext); commit the .po and .mo.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete \
		--ignore ".venv/*" --ignore "var/*" --ignore "tests/*" --ignore "bench/*"
	cd care365/locale/zh_Hans/LC_MESSAGES && msgfmt --check -o django.mo django.po
