"""Running a snippet that starts Keyfob in a fresh interpreter, as `keyfob` would start, with
every per-user folder in a test's temporary folder; its last stdout line is a JSON report.

For what only a new process shows: which modules a start loads, what a first window needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT


def run_fresh(snippet: str, tmp_path: Path, *arguments: str, timeout: float = 120) -> Any:
    """The JSON the snippet printed last (offscreen; folders under `tmp_path`)."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_RUNTIME_DIR": str(tmp_path),
        "KEYFOB_CONFIG_DIR": str(tmp_path / "preferences"),
        "KEYFOB_STATE_DIR": str(tmp_path / "state"),
    }
    result = subprocess.run(
        [sys.executable, "-c", snippet, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
