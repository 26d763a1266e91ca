#!/usr/bin/env bash
# Install what is missing (see setup.sh), then start Keyfob. Arguments go to keyfob.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/packaging/setup.sh"
exec "$here/.venv/bin/keyfob" "$@"
