"""Test-wide set-up: Qt renders offscreen; the interop data beside the project."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT.parent / "shared" / "interop"
