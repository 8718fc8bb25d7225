#!/usr/bin/env bash
# Line coverage of the product code (govcrawl, archive, pipelines; not the simulated web) over the
# whole test suite, subprocess crawls and analysis workers included. The suite's pytest-xdist
# workers are subprocesses too (`patch = subprocess`): each writes its own data file, combined
# below; the controller runs no tests, hence no-data-collected is not a warning here.
# Usage: bash scripts/coverage.sh [TREE]   (TREE: a checkout to measure, default this one; it
# must have its own .venv, e.g. from `make install`). Prints coverage's report; total last.
set -euo pipefail
TREE="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
cd "$TREE"
.venv/bin/python -m pip install --quiet 'coverage>=7.10'
RC="$(mktemp --suffix=.coveragerc)"
cat > "$RC" <<RC_END
[run]
source = $TREE/govcrawl, $TREE/archive, $TREE/pipelines
omit = */simweb/*
parallel = true
data_file = $TREE/.coverage
patch = subprocess
concurrency = thread, multiprocessing
sigterm = true
disable_warnings = no-data-collected

[report]
precision = 1
RC_END
rm -f .coverage .coverage.*
PG_URL="$(bash scripts/postgres-for-tests.sh)"
GOVCRAWL_TEST_PG_URL="$PG_URL" COVERAGE_RCFILE="$RC" .venv/bin/python -m coverage run -m pytest -q -p no:cacheprovider || true
COVERAGE_RCFILE="$RC" .venv/bin/python -m coverage combine -q
COVERAGE_RCFILE="$RC" .venv/bin/python -m coverage report | tail -n 40
