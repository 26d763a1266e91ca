#!/usr/bin/env bash
# Install what is missing (see setup.sh), then start Keyfob. Arguments go to keyfob.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/packaging/setup.sh"  # through bash: works where the execute bit was lost
exec "$here/.venv/bin/keyfob" "$@"
