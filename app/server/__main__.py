"""Entry point of `keyfob-server` (stub until the server lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("keyfob-server: not available yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
