"""Entry point of `keyfob` and `python -m app`.

It dispatches before importing anything heavy: `keyfob code github` must never pay for Qt,
and the desktop app (no command, or only `--vault`, `--minimized` and otpauth:// or
keyfob:// links opened from a browser) never loads the CLI. Without a display (an SSH
session) no command means the command line's help, as a window could not open anyway.

A desktop start first tries to hand its links to a Keyfob already running, still without
Qt, and restarts itself without them in its arguments when none runs (app/handoff.py): a
link holds a secret, and a process's arguments are visible to every local user. Then, still
before Qt, a vault with quick unlock on is opened with the system keyring
(app.ui.shell.quick_start.before_qt), and only then does Qt load and the first window show.
"""

from __future__ import annotations

import gc
import os
import sys

# --minimized: started at login, into the tray; --self-test: checks a build, then quits.
_DESKTOP_FLAGS = ("--minimized", "--self-test")


def wants_desktop(args: list[str]) -> bool:
    """True when there is no CLI command: nothing but --vault PATH, desktop flags and links."""
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--vault":
            position += 2
        elif arg.startswith("--vault=") or arg in _DESKTOP_FLAGS or _is_link(arg):
            position += 1
        else:
            return False
    return True


def _is_link(arg: str) -> bool:
    # app.handoff knows the link schemes; no command name has "://", so a CLI command never
    # imports it (the sockets and hashes it needs are no business of `keyfob code`).
    if "://" not in arg:
        return False
    from app.handoff import is_link

    return is_link(arg)


def has_display() -> bool:
    """Whether a window can be shown (on Linux: an X11 or Wayland session, or a Qt platform)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if wants_desktop(args) and has_display():
        # No cyclic garbage collection until the first window is drawn (app.ui.shell.main
        # turns it back on): the start makes thousands of classes and enums, and collecting
        # among them, which frees nothing, cost 5 ms of the start.
        gc.disable()
        from app.handoff import desktop_start

        started = desktop_start(args, own_arguments=argv is None)
        if isinstance(started, int):
            return started  # the Keyfob already running took it
        from app.ui.shell.quick_start import before_qt

        quick = before_qt(started)  # quick unlock: the keyring, before Qt loads
        from app.ui.shell.main import run as run_desktop

        return run_desktop(started, quick=quick)
    from app.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
