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
	touch $@

install: $(BIN)/govcrawl

demo: install
	$(BIN)/govcrawl demo

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/crawl.py
