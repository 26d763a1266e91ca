"""Keyfob's desktop app in a process of its own (tests/ui/sync_driver.py), as a test sees it:
its JSON-line reports read as they come, and the environment it runs in."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

EVENT_TIMEOUT_S = 60.0


def app_environment(tmp_path: Path, runtime: Path, **more: str) -> dict[str, str]:
    """A user of its own: home, XDG folders, preferences, state and runtime folder."""
    home = tmp_path / "home"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(runtime),
        "KEYFOB_CONFIG_DIR": str(tmp_path / "config"),
        "KEYFOB_STATE_DIR": str(tmp_path / "state"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
        **more,
    }


class AppProcess:
    """`python -m tests.ui.sync_driver PASSWORD_FILE [options]` and its reports."""

    def __init__(self, password_file: Path, env: dict[str, str], *options: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.sync_driver", str(password_file), *options],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr = ""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put(json.loads(line))
        self.events.put({"event": "eof"})

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def wait_for(
        self, name: str, until: Callable[[dict[str, Any]], bool] = lambda event: True
    ) -> dict[str, Any]:
        """The next report called `name` for which `until(report)` holds."""
        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while True:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name!r} report in time: {self.stderr}") from None
            if event["event"] == "eof":
                raise AssertionError(f"the app ended before {name!r}: {self.stderr}")
            if event["event"] == name and until(event):
                return event

    def quit(self) -> None:
        """Close its stdin: the driver quits the app."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
