"""PySide6's support modules load compiled: packaging/setup.sh unpacks them from shiboken's
library and compiles them once (packaging/precompile_pyside.py), where PySide would otherwise
compile them from source at every start of Keyfob (13 ms of each)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import shiboken6

_PROBE = """
import json, sys
import PySide6.QtCore
loader = sys.modules["shibokensupport.signature.loader"]
print(json.dumps({"file": loader.__file__, "cached": loader.__cached__}))
"""


def test_a_start_loads_pysides_support_modules_from_compiled_files() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(result.stdout)
    files = Path(shiboken6.__file__).resolve().parent / "files.dir"
    assert Path(loaded["file"]).resolve().is_relative_to(files), (
        "PySide compiles its support modules at every start: run packaging/setup.sh"
    )
    assert Path(loaded["cached"]).is_file()
    # From this very PySide: after an upgrade setup unpacks them again.
    stamp = files / ".keyfob-unpacked-from"
    assert stamp.read_text().strip() == shiboken6.__version__
