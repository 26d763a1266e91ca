"""Test-wide set-up: Qt renders offscreen; the interop data beside the project."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT.parent / "shared" / "interop"

# CI runs the same examples every time, so a red build is reproducible and a green one is not
# luck; on a developer's machine hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
