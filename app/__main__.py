"""Entry point of `keyfob` and `python -m app`.

It dispatches before importing anything heavy: `keyfob code github` must never pay for Qt.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from app.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
