"""Where Keyfob's resources (icons, .desktop and AppStream files, translations) are.

Three layouts ship them: a source checkout or editable install (resources/ beside app/), a
PyInstaller bundle (resources/ in the bundle folder), and a wheel, which installs them as
data files under PREFIX/share/keyfob (the venv, ~/.local for `pip install --user`, /app in a
Flatpak). Both the desktop app and the CLI (`keyfob desktop install`) look here, so this
module imports nothing but the standard library.
"""

from __future__ import annotations

import site
import sys
from collections.abc import Iterator
from pathlib import Path

APP_ID = "io.github.keyfob.Keyfob"
# A file every layout has: how a candidate folder is recognised as the resources.
_MARKER = Path("icons") / "keyfob.svg"


def _candidates() -> Iterator[Path]:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        yield Path(bundle) / "resources"
    package = Path(__file__).resolve().parent
    yield package.parent / "resources"
    # Only a wheel's layout needs sysconfig: it loads when the folders above are not it
    # (a millisecond of the desktop app's start otherwise).
    import sysconfig

    prefixes = [sys.prefix, sysconfig.get_path("data"), site.getuserbase()]
    # `pip install --prefix=P` (as Flatpak builds do) puts the package in
    # P/lib/pythonX.Y/site-packages (P/Lib/site-packages on Windows) and the data in P/share.
    prefixes += [str(package.parents[i]) for i in (3, 2) if i < len(package.parents)]
    for prefix in prefixes:
        if prefix:
            yield Path(prefix) / "share" / "keyfob"


def resources_dir() -> Path:
    """The first folder that holds the resources; the source tree's path if none does."""
    first: Path | None = None
    for folder in _candidates():
        first = first or folder
        if (folder / _MARKER).is_file():
            return folder
    # Nothing found (a broken install): callers then report the missing file by its path.
    assert first is not None  # the source tree's path is always a candidate
    return first


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
