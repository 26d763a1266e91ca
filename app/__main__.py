"""Entry point of `keyfob` and `python -m app`.

It dispatches before importing anything heavy: `keyfob code github` must never pay for Qt,
and the desktop app (no command, or only `--vault`, `--minimized` and otpauth:// or
keyfob:// links opened from a browser) never loads the CLI. Without a display (an SSH
session) no command means the command line's help, as a window could not open anyway.
"""

from __future__ import annotations

import os
import sys

_LINK_PREFIXES = ("otpauth://", "otpauth-migration://", "keyfob://")
# --minimized: started at login, into the tray; --self-test: checks a build, then quits.
_DESKTOP_FLAGS = ("--minimized", "--self-test")


def wants_desktop(args: list[str]) -> bool:
    """True when there is no CLI command: nothing but --vault PATH, desktop flags and links."""
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--vault":
            position += 2
        elif (
            arg.startswith("--vault=")
            or arg in _DESKTOP_FLAGS
            or arg.lower().startswith(_LINK_PREFIXES)
        ):
            position += 1
        else:
            return False
    return True


def has_display() -> bool:
    """Whether a window can be shown (on Linux: an X11 or Wayland session, or a Qt platform)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if wants_desktop(args) and has_display():
        from app.ui.main import run as run_desktop

        return run_desktop(args)
    from app.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
