"""Unpack and compile PySide6's support modules once, so that every start loads them compiled.

shiboken6 carries its Python support code (the signature and feature modules) embedded in
its library, and compiles it from source at every import of PySide6: 13 ms of each Keyfob
start, on a machine where a C++ app's whole start takes 120. PySide's own SBK_EMBED=0 switch
writes those modules to shiboken6/files.dir, which it then imports like any package, from
.pyc files once they are compiled. A stamp names the shiboken6 version they came from: after
an upgrade they are written again, as files from another version would not fit its library.

Run by packaging/setup.sh with the virtual environment's Python; safe to run again.
"""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
from pathlib import Path

STAMP = ".keyfob-unpacked-from"


def main() -> int:
    import shiboken6

    files = Path(shiboken6.__file__).resolve().parent / "files.dir"
    version = getattr(shiboken6, "__version__", "")
    stamp = files / STAMP
    if stamp.is_file() and stamp.read_text().strip() == version:
        return 0
    shutil.rmtree(files, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-c", "import shiboken6"],
        env={**os.environ, "SBK_EMBED": "0"},
        check=True,
    )
    if not (files / "shibokensupport").is_dir():
        # Unwritable site-packages or a PySide without the switch: it keeps its embedded copy.
        return 0
    if not compileall.compile_dir(str(files), quiet=1):
        shutil.rmtree(files, ignore_errors=True)  # half compiled would still work, but slowly
        return 0
    stamp.write_text(version + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
