#!/usr/bin/env bash
# Install what is missing (see packaging/setup.sh --test), then run every check:
# ruff, mypy (strict, app/), import-linter (the layer contracts) and the whole pytest suite.
# Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/setup.sh --test
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff";         ruff check app tests && ruff format --check app tests
echo "== mypy";         mypy
echo "== import-linter"; lint-imports
echo "== pytest";       python -m pytest -n auto "$@"
