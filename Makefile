# Two commands on a fresh machine: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install demo test lint bench

$(BIN)/govcrawl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# A fresh venv's pip (23.x) skips lxml's html_clean extra that trafilatura needs: upgrade first.
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	# Debian tools the document readers use (catdoc for .doc/.wps); skipped with a warning if not root.
	bash scripts/debian-packages.sh
	touch $@

# pywb replays our WARCs in the tests; it needs its own venv (its pins clash with Scrapy's).
.pywb-venv/bin/wayback:
	$(PYTHON) -m venv .pywb-venv
	.pywb-venv/bin/python -m pip install --quiet --upgrade pip
	.pywb-venv/bin/python -m pip install --quiet 'setuptools<81' 'pywb==2.10.0'

install: $(BIN)/govcrawl

demo: install
	$(BIN)/govcrawl demo

# The tests also run against a real PostgreSQL server on 127.0.0.1 (started by the script).
test: install .pywb-venv/bin/wayback
	$(BIN)/ruff check .
	GOVCRAWL_TEST_PG_URL="$$(bash scripts/postgres-for-tests.sh)" $(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/crawl.py
