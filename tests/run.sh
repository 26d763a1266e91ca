#!/usr/bin/env bash
# Install what is missing (see packaging/setup.sh --test), then run every check:
# ruff, mypy (strict, app/), import-linter (the layer contracts) and the whole pytest suite.
# Arguments go to pytest. Every check runs even when an earlier one fails, so one run shows
# all the problems; the exit status is 1 if any check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh --test  # through bash: works where the execute bit was lost
export PATH="$PWD/.venv/bin:$PATH"

pytest_args=("$@")
failed=()
check() {  # check NAME COMMAND...: run one check, remember it if it failed
  local name=$1
  shift
  echo "== $name"
  "$@" || failed+=("$name")
}

check "ruff"           ruff check app tests
check "ruff format"    ruff format --check app tests
check "mypy"           mypy
check "import-linter"  lint-imports
check "pytest"         python -m pytest -n auto "${pytest_args[@]}"

if [ ${#failed[@]} -gt 0 ]; then
  echo "== FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== all checks passed"
